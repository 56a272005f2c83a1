package authz

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The default per-tenant roles of DESIGN §4.
const (
	RoleTenantAdmin = "tenant_admin"
	RoleManager     = "manager"
	RoleSales       = "sales"
	RoleSupport     = "support"
)

// DefaultRoles lists the default roles in display order.
var DefaultRoles = []string{RoleTenantAdmin, RoleManager, RoleSales, RoleSupport}

// catalogue is every permission that exists: the objects of DESIGN §4 and
// the actions each takes. Custom roles are built from it; anything else is
// a malformed permission name.
var catalogue = map[Object][]Action{
	Customers:    {Read, Create, Update, Delete, Merge},
	Contacts:     {Read, Create, Update, Delete},
	Groups:       {Read, Create, Update, Delete},
	Notes:        {Read, Create, Update, Delete},
	CustomFields: {Read, Create, Update, Delete},
	Settings:     {Read, Update},
	Users:        {Read, Update, Delete},
	Roles:        {Read, Create, Update, Delete},
	Invites:      {Read, Create, Delete},
	Tokens:       {Read, Create, Delete, Manage},
	Tickets:      {Read, Create, Update, Delete},
	Contracts:    {Read, Create, Update, Delete},
	Proposals:    {Read, Create, Update, Delete},
	Invoices:     {Read, Create, Update, Delete},
	Payments:     {Read, Create, Update, Delete},
	Referrals:    {Read, Create, Update, Delete},
	Rewards:      {Read, Create, Update, Delete},
	Scores:       {Read, Override},
	ScoringRuns:  {Read, Run},
	Health:       {Read},
	Dashboard:    {Read},
	Tasks:        {Read, Create, Update, Delete, Manage},
	Campaigns:    {Read, Create, Update, Delete, Launch},
	Workflows:    {Read, Create, Update, Delete},
	Imports:      {Run},
	Exports:      {Run},
	Audit:        {Read},
}

// Catalogue returns every tenant permission, sorted.
func Catalogue() []Permission {
	var out []Permission
	for o, as := range catalogue {
		for _, a := range as {
			out = append(out, P(o, a))
		}
	}
	sortPermissions(out)
	return out
}

// Exists reports whether p is in the catalogue.
func (p Permission) Exists() bool {
	for _, a := range catalogue[p.Object] {
		if a == p.Action {
			return true
		}
	}
	return false
}

// ParsePermission reads "object:action"; a name that is not in the
// catalogue is an error.
func ParsePermission(s string) (Permission, error) {
	o, a, ok := strings.Cut(s, ":")
	p := P(Object(o), Action(a))
	if !ok || !p.Exists() {
		return Permission{}, fmt.Errorf("unknown permission %q: use object:action from the catalogue", s)
	}
	return p, nil
}

func sortPermissions(ps []Permission) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Object != ps[j].Object {
			return ps[i].Object < ps[j].Object
		}
		return ps[i].Action < ps[j].Action
	})
}

var roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// ValidRoleName reports whether s can name a role: 2–40 lowercase letters,
// digits and underscores, starting with a letter.
func ValidRoleName(s string) bool { return roleNameRE.MatchString(s) }

// full is read, create, update and delete.
func full(o Object) []Permission {
	return []Permission{P(o, Read), P(o, Create), P(o, Update), P(o, Delete)}
}

func perms(o Object, as ...Action) []Permission {
	out := make([]Permission, len(as))
	for i, a := range as {
		out[i] = P(o, a)
	}
	return out
}

func join(groups ...[]Permission) []Permission {
	var out []Permission
	for _, g := range groups {
		out = append(out, g...)
	}
	sortPermissions(out)
	return out
}

// DefaultPermissions returns the permissions of a default role, written
// out from DESIGN §4's table. Notes on reading it:
//   - "own" API tokens are tokens:read/create/delete (each user's own);
//     "revoke any" is tokens:manage.
//   - tasks "own, assigned, created" is tasks read/create/update without
//     tasks:manage, which widens every task operation the role has to all
//     tasks; tenant admins read all tasks (read + manage).
//   - campaigns "draft" is read/create/update without launch.
//   - "request run" is scoring_runs:run; "override forecast" is
//     scores:override; import and export are imports:run and exports:run.
func DefaultPermissions(role string) []Permission {
	switch role {
	case RoleTenantAdmin:
		return join(
			perms(Customers, Read), perms(Contacts, Read), perms(Groups, Read), perms(Notes, Read),
			full(CustomFields), perms(Settings, Read, Update),
			perms(Users, Read, Update, Delete), full(Roles), perms(Invites, Read, Create, Delete),
			perms(Tokens, Read, Create, Delete, Manage),
			perms(Tickets, Read), perms(Contracts, Read), perms(Proposals, Read),
			perms(Invoices, Read), perms(Payments, Read), perms(Referrals, Read), perms(Rewards, Read),
			perms(Scores, Read), perms(ScoringRuns, Read), perms(Health, Read), perms(Dashboard, Read),
			perms(Tasks, Read, Manage), full(Workflows), perms(Imports, Run), perms(Exports, Run),
			perms(Audit, Read),
		)
	case RoleManager:
		return join(
			full(Customers), perms(Customers, Merge), full(Contacts), full(Groups), full(Notes),
			perms(CustomFields, Read), perms(Settings, Read),
			perms(Tokens, Read, Create, Delete),
			full(Tickets), full(Contracts), full(Proposals), full(Invoices), full(Payments),
			full(Referrals), full(Rewards),
			perms(Scores, Read, Override), perms(ScoringRuns, Read, Run), perms(Health, Read), perms(Dashboard, Read),
			full(Tasks), perms(Tasks, Manage), full(Campaigns), perms(Campaigns, Launch), full(Workflows),
			perms(Imports, Run), perms(Exports, Run),
		)
	case RoleSales:
		return join(
			full(Customers), perms(Customers, Merge), full(Contacts), full(Groups), full(Notes),
			perms(CustomFields, Read), perms(Settings, Read),
			perms(Tokens, Read, Create, Delete),
			perms(Tickets, Read), full(Contracts), full(Proposals), perms(Invoices, Read), perms(Payments, Read),
			perms(Referrals, Read, Create), perms(Rewards, Read),
			perms(Scores, Read, Override), perms(ScoringRuns, Read), perms(Health, Read), perms(Dashboard, Read),
			perms(Tasks, Read, Create, Update), perms(Campaigns, Read, Create, Update), perms(Workflows, Read),
			perms(Exports, Run),
		)
	case RoleSupport:
		return join(
			perms(Customers, Read), perms(Contacts, Read, Update), perms(Groups, Read), perms(Notes, Read, Create),
			perms(CustomFields, Read), perms(Settings, Read),
			perms(Tokens, Read, Create, Delete),
			full(Tickets), perms(Contracts, Read), perms(Proposals, Read), perms(Invoices, Read), perms(Payments, Read),
			perms(Referrals, Read), perms(Rewards, Read),
			perms(Health, Read),
			perms(Tasks, Read, Create, Update),
		)
	}
	return nil
}
