package authz

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
)

// modelText is RBAC with domains: a user holds roles per tenant (the
// domain), a role holds exact (object, action) pairs per tenant. No
// wildcards, no keyMatch: object names are compared whole.
const modelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub, r.dom) && r.dom == p.dom && r.obj == p.obj && r.act == p.act
`

var sqlTxReadOnlyRepeatable = sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}

// maxAge bounds how long a tenant's loaded policy is trusted without a
// change notice, in case a notice was lost while the listener reconnected.
const maxAge = time.Minute

// Authorizer decides what a user may do in a tenant. It keeps one Casbin
// enforcer per tenant, loaded from control.authz_rules with that tenant's
// rows only, and drops it whenever the tenant's policy changes: at once on
// the replica that made the change, and through Postgres LISTEN/NOTIFY on
// every other replica (see Listen).
type Authorizer struct {
	db  *sqlx.DB
	log *slog.Logger

	mu        sync.Mutex
	doms      map[uuid.UUID]*domain
	gen       map[uuid.UUID]uint64
	epoch     uint64
	lastSweep time.Time
}

// domain is one tenant's loaded policy, with its active members: every
// change to either goes through change (or announces itself on
// NotifyChannel), so both are cached together.
type domain struct {
	e        *casbin.SyncedCachedEnforcer
	roles    map[string]*Role
	members  map[uuid.UUID]bool
	loadedAt time.Time
}

// Role is a tenant's role: its permissions and its own-records scope.
type Role struct {
	Name           string       `json:"name"`
	Builtin        bool         `json:"builtin"`
	OwnRecordsOnly bool         `json:"own_records_only"`
	Permissions    []Permission `json:"permissions"`
}

// New returns an Authorizer over db. Call Listen to hear other replicas'
// changes.
func New(db *sqlx.DB, log *slog.Logger) *Authorizer {
	if log == nil {
		log = slog.Default()
	}
	return &Authorizer{db: db, log: log, doms: map[uuid.UUID]*domain{}, gen: map[uuid.UUID]uint64{}}
}

// Invalidate drops a tenant's loaded policy; the next decision reloads it.
func (a *Authorizer) Invalidate(tenantID uuid.UUID) {
	a.mu.Lock()
	delete(a.doms, tenantID)
	a.gen[tenantID]++
	a.mu.Unlock()
}

// InvalidateAll drops every loaded policy.
func (a *Authorizer) InvalidateAll() {
	a.mu.Lock()
	a.doms = map[uuid.UUID]*domain{}
	a.epoch++
	a.mu.Unlock()
}

func (a *Authorizer) domain(ctx context.Context, tenantID uuid.UUID) (*domain, error) {
	a.mu.Lock()
	d := a.doms[tenantID]
	gen, epoch := a.gen[tenantID], a.epoch
	a.mu.Unlock()
	if d != nil && time.Since(d.loadedAt) < maxAge {
		return d, nil
	}
	d, err := a.load(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	// A change notice that arrived while loading makes what was loaded
	// stale: use it for this decision, but do not keep it.
	if a.gen[tenantID] == gen && a.epoch == epoch {
		a.doms[tenantID] = d
	}
	// Drop policies nobody used for a while, so that an installation of
	// many tenants keeps only its active ones in memory.
	if now := time.Now(); now.Sub(a.lastSweep) > maxAge {
		a.lastSweep = now
		for id, old := range a.doms {
			if now.Sub(old.loadedAt) > maxAge {
				delete(a.doms, id)
			}
		}
	}
	a.mu.Unlock()
	return d, nil
}

type ruleRow struct {
	PType string `db:"ptype"`
	V0    string `db:"v0"`
	V1    string `db:"v1"`
	V2    string `db:"v2"`
	V3    string `db:"v3"`
}

// adapter is the Casbin adapter over control.authz_rules for one tenant.
// It only loads: policy changes are written by the Authorizer in SQL
// transactions that also keep control.roles and control.memberships in
// step, always filtered by tenant, and then the enforcer is reloaded.
type adapter struct {
	rules []ruleRow
}

func (ad *adapter) LoadPolicy(m model.Model) error {
	for _, r := range ad.rules {
		var rule []string
		switch r.PType {
		case "p":
			rule = []string{r.V0, r.V1, r.V2, r.V3}
		case "g":
			rule = []string{r.V0, r.V1, r.V2}
		default:
			continue
		}
		if err := m.AddPolicy(r.PType, r.PType, rule); err != nil {
			return err
		}
	}
	return nil
}

var errReadOnly = errors.New("authz adapter: change policies through authz.Authorizer")

func (ad *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (ad *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (ad *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (ad *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }

func (a *Authorizer) load(ctx context.Context, tenantID uuid.UUID) (*domain, error) {
	if err := a.seed(ctx, tenantID); err != nil {
		return nil, err
	}
	tx, err := a.db.BeginTxx(ctx, &sqlTxReadOnlyRepeatable)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var rules []ruleRow
	if err := tx.SelectContext(ctx, &rules, `select ptype, v0, v1, v2, v3 from control.authz_rules where tenant_id = $1 order by id`, tenantID); err != nil {
		return nil, fmt.Errorf("load policy of tenant %s: %w", tenantID, err)
	}
	var roleRows []struct {
		Name    string `db:"name"`
		Builtin bool   `db:"builtin"`
		Scoped  bool   `db:"own_records_only"`
	}
	if err := tx.SelectContext(ctx, &roleRows, `select name, builtin, own_records_only from control.roles where tenant_id = $1`, tenantID); err != nil {
		return nil, err
	}
	var members []uuid.UUID
	if err := tx.SelectContext(ctx, &members, `select user_id from control.memberships where tenant_id = $1 and status = 'active'`, tenantID); err != nil {
		return nil, err
	}
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, err
	}
	// Decisions are cached for the domain's life: a policy change replaces
	// the whole domain (and with it the cache), never edits it in place.
	e, err := casbin.NewSyncedCachedEnforcer(m, &adapter{rules: rules})
	if err != nil {
		return nil, fmt.Errorf("casbin enforcer: %w", err)
	}
	d := &domain{e: e, roles: map[string]*Role{}, members: make(map[uuid.UUID]bool, len(members)), loadedAt: time.Now()}
	for _, id := range members {
		d.members[id] = true
	}
	for _, r := range roleRows {
		d.roles[r.Name] = &Role{Name: r.Name, Builtin: r.Builtin, OwnRecordsOnly: r.Scoped}
	}
	for _, r := range rules {
		if r.PType == "p" {
			if role := d.roles[r.V0]; role != nil {
				role.Permissions = append(role.Permissions, P(Object(r.V2), Action(r.V3)))
			}
		}
	}
	for _, r := range d.roles {
		sortPermissions(r.Permissions)
	}
	return d, nil
}

// seed writes a tenant's default roles the first time its policy is
// loaded. The marker row keeps a deleted default role from coming back.
func (a *Authorizer) seed(ctx context.Context, tenantID uuid.UUID) error {
	var seeded bool
	if err := a.db.GetContext(ctx, &seeded, `select exists (select 1 from control.authz_seeded where tenant_id = $1)`, tenantID); err != nil {
		return err
	}
	if seeded {
		return nil
	}
	return a.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `insert into control.authz_seeded (tenant_id) values ($1) on conflict do nothing`, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another replica seeded it
		}
		for _, role := range DefaultRoles {
			if _, err := tx.ExecContext(ctx, `insert into control.roles (tenant_id, name, builtin) values ($1, $2, true)`, tenantID, role); err != nil {
				return err
			}
			if err := insertPerms(ctx, tx, tenantID, role, DefaultPermissions(role)); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertPerms(ctx context.Context, tx *sqlx.Tx, tenantID uuid.UUID, role string, ps []Permission) error {
	for _, p := range ps {
		if _, err := tx.ExecContext(ctx, `
			insert into control.authz_rules (tenant_id, ptype, v0, v1, v2, v3) values ($1, 'p', $2, $1::uuid::text, $3, $4)
			on conflict do nothing`, tenantID, role, string(p.Object), string(p.Action)); err != nil {
			return err
		}
	}
	return nil
}

// Enforce reports whether the user holds p in the tenant.
func (a *Authorizer) Enforce(ctx context.Context, tenantID, userID uuid.UUID, p Permission) (bool, error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return false, err
	}
	return d.e.Enforce(userID.String(), tenantID.String(), string(p.Object), string(p.Action))
}

// Membership returns whether the user is an active member of the tenant,
// their roles there and their own-records scope (see RolesOf), from the
// cached policy: no query when the tenant's policy is loaded.
func (a *Authorizer) Membership(ctx context.Context, tenantID, userID uuid.UUID) (member bool, roles []string, ownRecordsOnly bool, err error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return false, nil, false, err
	}
	if !d.members[userID] {
		return false, nil, false, nil
	}
	roles, scoped := d.rolesOf(tenantID, userID)
	return true, roles, scoped, nil
}

// RolesOf returns the user's roles in the tenant and whether the user is
// limited to their own records: true when every role they hold has the
// own-records scope (an unscoped role grants more, so it wins).
func (a *Authorizer) RolesOf(ctx context.Context, tenantID, userID uuid.UUID) ([]string, bool, error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	roles, scoped := d.rolesOf(tenantID, userID)
	return roles, scoped, nil
}

func (d *domain) rolesOf(tenantID, userID uuid.UUID) ([]string, bool) {
	roles := d.e.GetRolesForUserInDomain(userID.String(), tenantID.String())
	sort.Strings(roles)
	scoped := len(roles) > 0
	for _, r := range roles {
		if role := d.roles[r]; role == nil || !role.OwnRecordsOnly {
			scoped = false
		}
	}
	return roles, scoped
}

// PermissionsOf returns every permission the user holds in the tenant.
func (a *Authorizer) PermissionsOf(ctx context.Context, tenantID, userID uuid.UUID) ([]Permission, error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	seen := map[Permission]bool{}
	var out []Permission
	for _, r := range d.e.GetRolesForUserInDomain(userID.String(), tenantID.String()) {
		if role := d.roles[r]; role != nil {
			for _, p := range role.Permissions {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	sortPermissions(out)
	return out, nil
}

// Roles lists a tenant's roles with their permissions.
func (a *Authorizer) Roles(ctx context.Context, tenantID uuid.UUID) ([]Role, error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]Role, 0, len(d.roles))
	for _, r := range d.roles {
		c := *r
		c.Permissions = append([]Permission(nil), r.Permissions...)
		out = append(out, c)
	}
	order := map[string]int{}
	for i, r := range DefaultRoles {
		order[r] = i + 1
	}
	sort.Slice(out, func(i, j int) bool {
		oi, oj := order[out[i].Name], order[out[j].Name]
		if oi == 0 {
			oi = 100
		}
		if oj == 0 {
			oj = 100
		}
		if oi != oj {
			return oi < oj
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Grants returns each member's roles in the tenant.
func (a *Authorizer) Grants(ctx context.Context, tenantID uuid.UUID) (map[uuid.UUID][]string, error) {
	d, err := a.domain(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	gs, err := d.e.GetFilteredGroupingPolicy(2, tenantID.String())
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]string{}
	for _, g := range gs {
		id, err := uuid.Parse(g[0])
		if err != nil {
			continue
		}
		out[id] = append(out[id], g[1])
	}
	for _, rs := range out {
		sort.Strings(rs)
	}
	return out, nil
}

// ErrNoAuthorizer means a context reached Check without the Authorizer
// that web binds to every request.
var ErrNoAuthorizer = &core.Error{Code: core.CodeInternal, Message: "no authorizer in context"}
