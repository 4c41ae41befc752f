package rbac

// Role is a set of permissions granted in a domain (an org-unit subtree).
type Role string

const (
	Admin            Role = "ADMIN"             // users and policies
	NationalViewer   Role = "NATIONAL_VIEWER"   // reads everything
	Coordinator      Role = "COORDINATOR"       // documents, tasks, assignments, extensions, accepting figures
	MinistryEditor   Role = "MINISTRY_EDITOR"   // updates its ministry's assignments and indicator values
	ProvinceEditor   Role = "PROVINCE_EDITOR"   // updates its province's assignments and indicator values
	ProvinceApprover Role = "PROVINCE_APPROVER" // approves its province's values and reports
	Viewer           Role = "VIEWER"            // reads one unit
)

// Roles lists the roles.
var Roles = []Role{Admin, NationalViewer, Coordinator, MinistryEditor, ProvinceEditor, ProvinceApprover, Viewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, v := range Roles {
		if r == v {
			return true
		}
	}
	return false
}

// Permission is something a role allows. Its value is the GraphQL enum
// name; in Casbin it is an object and an action (see casbinPerm).
type Permission string

const (
	ReadData         Permission = "READ_DATA"
	AdminUsers       Permission = "ADMIN_USERS"
	AdminPolicy      Permission = "ADMIN_POLICY"
	ReadAudit        Permission = "READ_AUDIT"
	CreateDocument   Permission = "CREATE_DOCUMENT"
	AssignTask       Permission = "ASSIGN_TASK"
	DecideExtension  Permission = "DECIDE_EXTENSION"
	AcceptKPI        Permission = "ACCEPT_KPI"
	UpdateAssignment Permission = "UPDATE_ASSIGNMENT"
	RequestExtension Permission = "REQUEST_EXTENSION"
	EnterKPI         Permission = "ENTER_KPI"
	ApproveKPI       Permission = "APPROVE_KPI"
	ApproveReport    Permission = "APPROVE_REPORT"
	ConfigureKPI     Permission = "CONFIGURE_KPI"
	AcknowledgeAlert Permission = "ACKNOWLEDGE_ALERT"
	FreezeReports    Permission = "FREEZE_REPORTS"
)

// casbinPerm is each permission's object and action in policy.csv.
var casbinPerm = map[Permission][2]string{
	ReadData:         {"data", "read"},
	AdminUsers:       {"user", "admin"},
	AdminPolicy:      {"policy", "admin"},
	ReadAudit:        {"audit", "read"},
	CreateDocument:   {"document", "create"},
	AssignTask:       {"task", "assign"},
	DecideExtension:  {"extension", "decide"},
	AcceptKPI:        {"kpi", "accept"},
	UpdateAssignment: {"assignment", "update"},
	RequestExtension: {"extension", "request"},
	EnterKPI:         {"kpi", "enter"},
	ApproveKPI:       {"kpi", "approve"},
	ApproveReport:    {"report", "approve"},
	ConfigureKPI:     {"kpi", "configure"},
	AcknowledgeAlert: {"alert", "acknowledge"},
	FreezeReports:    {"report", "freeze"},
}

// permissionOf is the Permission of a Casbin object and action.
func permissionOf(obj, act string) (Permission, bool) {
	for p, oa := range casbinPerm {
		if oa == [2]string{obj, act} {
			return p, true
		}
	}
	return "", false
}

// readOnly are the permissions that do not count as writing for Scope.Write.
func (p Permission) readOnly() bool { return p == ReadData || p == ReadAudit }
