package authz

// Object is what a permission is about.
type Object string

// Action is what a permission allows on its object.
type Action string

// Objects, one per row of DESIGN §4's role table.
const (
	Customers    Object = "customers"
	Contacts     Object = "contacts"
	Groups       Object = "groups"
	Notes        Object = "notes"
	CustomFields Object = "custom_fields"
	Settings     Object = "settings"
	Users        Object = "users"
	Roles        Object = "roles"
	Invites      Object = "invites"
	Tokens       Object = "tokens"
	Tickets      Object = "tickets"
	Contracts    Object = "contracts"
	Proposals    Object = "proposals"
	Invoices     Object = "invoices"
	Payments     Object = "payments"
	Referrals    Object = "referrals"
	Rewards      Object = "rewards"
	Scores       Object = "scores"
	ScoringRuns  Object = "scoring_runs"
	Health       Object = "health"
	Dashboard    Object = "dashboard"
	Tasks        Object = "tasks"
	Campaigns    Object = "campaigns"
	Workflows    Object = "workflows"
	Imports      Object = "imports"
	Exports      Object = "exports"
	Audit        Object = "audit"
)

// Actions.
const (
	Read     Action = "read"
	Create   Action = "create"
	Update   Action = "update"
	Delete   Action = "delete"
	Merge    Action = "merge"    // customers
	Override Action = "override" // scores: override the sales forecast
	Run      Action = "run"      // scoring_runs: request a run; imports/exports: perform
	Launch   Action = "launch"   // campaigns
	Manage   Action = "manage"   // tokens: revoke anyone's
)

// Permission is an (object, action) pair a route or operation requires.
type Permission struct {
	Object Object
	Action Action
}

// P builds a Permission.
func P(o Object, a Action) Permission { return Permission{Object: o, Action: a} }

func (p Permission) String() string { return string(p.Object) + ":" + string(p.Action) }

// IsZero reports whether p names no permission.
func (p Permission) IsZero() bool { return p.Object == "" && p.Action == "" }

// MarshalText writes p as "object:action".
func (p Permission) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Installation-level objects. No tenant role holds them: platform
// operators hold all of them, agency admins hold tenants and portfolio for
// their own agencies (the route names the agency).
const (
	Agencies  Object = "agencies"  // create and list agencies
	Tenants   Object = "tenants"   // create and list tenants
	Portfolio Object = "portfolio" // an agency's aggregates
	Queue     Object = "queue"     // the job queue dashboard
)

// Installation reports whether p is about the installation rather than
// one tenant's data.
func (p Permission) Installation() bool {
	switch p.Object {
	case Agencies, Tenants, Portfolio, Queue:
		return true
	}
	return false
}

// OperatorHolds reports whether a platform operator holds p without a
// tenant role: every installation-level permission, and nothing of any
// tenant's business data.
func OperatorHolds(p Permission) bool { return p.Installation() }

// AgencyAdminHolds reports whether an agency admin holds p for their own
// agency.
func AgencyAdminHolds(p Permission) bool {
	return p == P(Tenants, Create) || p == P(Tenants, Read) || p == P(Portfolio, Read)
}
