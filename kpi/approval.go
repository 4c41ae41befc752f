package kpi

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Step is a step of the approval of values.
type Step string

const (
	StepApprove Step = "approve" // SUBMITTED → APPROVED (APPROVE_KPI on the value's unit)
	StepReject  Step = "reject"  // SUBMITTED → REJECTED (APPROVE_KPI), APPROVED → REJECTED (ACCEPT_KPI), with a reason
	StepAccept  Step = "accept"  // APPROVED → ACCEPTED (ACCEPT_KPI)
	StepReopen  Step = "reopen"  // APPROVED → SUBMITTED (APPROVE_KPI), ACCEPTED → SUBMITTED (ACCEPT_KPI), with a reason
)

// stepRule is who may take a step from a state, and to what.
type stepRule struct {
	perm rbac.Permission
	to   State
}

var steps = map[Step]map[State]stepRule{
	StepApprove: {Submitted: {rbac.ApproveKPI, Approved}},
	StepReject:  {Submitted: {rbac.ApproveKPI, Rejected}, Approved: {rbac.AcceptKPI, Rejected}},
	StepAccept:  {Approved: {rbac.AcceptKPI, Accepted}},
	StepReopen:  {Approved: {rbac.ApproveKPI, Submitted}, Accepted: {rbac.AcceptKPI, Submitted}},
}

var stepVI = map[Step]string{StepApprove: "phê duyệt", StepReject: "từ chối", StepAccept: "chấp nhận", StepReopen: "mở lại"}

// Decide takes step on the values ids for actor, all or none: each value
// must be in the actor's scope (NOT_FOUND otherwise), the actor must hold
// the step's permission on the value's unit (FORBIDDEN), and the value must
// be in a state the step applies to (a Problem naming it). Reject and
// reopen need a reason. A reopened value is SUBMITTED again: it still
// counts in the default roll-ups, leaves the approved ones, and can be
// corrected; its history keeps every earlier version.
func (s *Service) Decide(ctx context.Context, actor *auth.Identity, step Step, ids []int64, reason string) ([]*DataValue, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxBatch {
		return nil, &store.Error{Code: store.Invalid, Field: "values", Message: fmt.Sprintf("cần từ 1 đến %d giá trị", MaxBatch),
			English: fmt.Sprintf("send 1 to %d values", MaxBatch)}
	}
	reason, err := cleanText("reason", reason, MaxComment, step == StepReject || step == StepReopen)
	if err != nil {
		return nil, err
	}
	var out []*DataValue
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sc := s.authz.ScopeOf(actor.Subject())
		var vs []*DataValue
		cond, args := sc.ReadFilter("u.path")
		q := tx.NewSelect().Model(&vs).ColumnExpr("dv.*").ColumnExpr("u.path AS unit_path, u.code AS unit_code").
			Join("JOIN org_units AS u ON u.id = dv.org_unit_id").Where("dv.id IN (?)", bun.In(ids)).Where(cond, args...).OrderExpr("dv.id")
		if s.db.Engine == store.Postgres {
			q = q.For("UPDATE OF dv")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("kpi: loading values: %w", err)
		}
		byID := map[int64]*DataValue{}
		for _, v := range vs {
			byID[v.ID] = v
		}
		var indIDs []int64
		for i, id := range ids {
			if byID[id] == nil {
				return &store.Error{Code: store.NotFound, Field: fmt.Sprintf("values.%d", i), Message: "không tìm thấy giá trị chỉ tiêu", English: "data value not found"}
			}
			indIDs = append(indIDs, byID[id].IndicatorID)
		}
		inds, err := indicatorsByID(ctx, tx, indIDs)
		if err != nil {
			return err
		}
		now := s.clock()
		var problems Problems
		var ws []valueWrite
		done := map[int64]bool{}
		for i, id := range ids {
			v := byID[id]
			ind := inds[v.IndicatorID]
			rule, ok := steps[step][v.State]
			if !ok {
				problems = append(problems, problem(i, ind.Code, v.UnitCode, v.Period, RuleState, store.Invalid, "state",
					fmt.Sprintf("không thể %s giá trị %s của %s kỳ %s ở trạng thái %s", stepVI[step], ind.Code, v.UnitCode, v.Period, v.State),
					fmt.Sprintf("cannot %s the value of %s for %s, %s: it is %s", step, ind.Code, v.UnitCode, v.Period, v.State)))
				continue
			}
			if err := s.must(actor, v.UnitPath, rule.perm); err != nil {
				return err
			}
			if done[id] {
				continue
			}
			done[id] = true
			after := *v
			after.Version++
			after.State = rule.to
			after.UpdatedAt = now
			switch step {
			case StepApprove:
				after.ApprovedBy, after.ApprovedAt = actor.User.ID, &now
			case StepAccept:
				after.AcceptedBy, after.AcceptedAt = actor.User.ID, &now
			case StepReject, StepReopen:
				after.Reason = reason
				after.ApprovedBy, after.ApprovedAt, after.AcceptedBy, after.AcceptedAt = 0, nil, 0, nil
			}
			ws = append(ws, valueWrite{before: v, after: &after, ind: ind, path: v.UnitPath})
			out = append(out, &after)
		}
		if len(problems) > 0 {
			return problems
		}
		return s.saveValues(ctx, tx, actor, "kpi.value."+string(step), reason, ws)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
