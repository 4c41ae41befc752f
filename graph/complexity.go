package graph

import "p06/graph/model"

// complexity prices lists by their size, so the complexity limit bounds the
// rows a query can touch: a connection costs its page size times its
// children; unpaged lists cost a typical size (a task has at most 63+
// assignees, a unit dozens of children).
func complexity() ComplexityRoot {
	var c ComplexityRoot
	page := func(child int, first *int) int {
		n := 50
		if first != nil && *first > 0 {
			n = *first
		}
		return 1 + n*child
	}
	c.Query.OrgUnits = func(child int, _ *model.OrgUnitFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.WorkingGroups = func(child int, _ *model.WorkingGroupFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Documents = func(child int, _ *model.DocumentFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Tasks = func(child int, _ *model.TaskFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Assignments = func(child int, _ *model.AssignmentFilter, first *int, _ *string) int { return page(child, first) }
	c.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*child }
	c.Document.Tasks = func(child int, _ *model.TaskFilter, first *int, _ *string) int { return page(child, first) }
	c.Task.Assignments = func(child int) int { return 1 + 10*child }
	c.OrgUnit.Children = func(child int) int { return 1 + 20*child }
	c.OrgUnit.WorkingGroups = func(child int) int { return 1 + 2*child }
	c.WorkingGroup.Members = func(child int) int { return 1 + 5*child }
	return c
}
