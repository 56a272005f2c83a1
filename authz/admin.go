package authz

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
)

// NotifyChannel is the Postgres channel on which policy changes are
// announced; the payload is the tenant id.
const NotifyChannel = "gomato_authz"

// change runs fn in a transaction that announces the tenant's policy
// change on commit, then drops this replica's copy at once.
func (a *Authorizer) change(ctx context.Context, tenantID uuid.UUID, fn func(tx *sqlx.Tx) error) error {
	tx, err := a.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `select pg_notify($1, $2)`, NotifyChannel, tenantID.String()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	a.Invalidate(tenantID)
	return nil
}

// ChangeTx runs fn in a transaction with other policy changes of the
// tenant (through the *Tx methods), announcing them on commit. Callers use
// it to make a membership change and their own rows atomic (invites).
func (a *Authorizer) ChangeTx(ctx context.Context, tenantID uuid.UUID, fn func(tx *sqlx.Tx) error) error {
	if err := a.seed(ctx, tenantID); err != nil {
		return err
	}
	return a.change(ctx, tenantID, fn)
}

func errUnknownRole(field, role string) error {
	return core.Invalid(map[string]string{field: fmt.Sprintf("no role %q in this tenant", role)})
}

// AddMember makes the user an active member of the tenant (no roles yet).
func (a *Authorizer) AddMember(ctx context.Context, tenantID, userID uuid.UUID) error {
	return a.ChangeTx(ctx, tenantID, func(tx *sqlx.Tx) error { return AddMemberTx(ctx, tx, tenantID, userID) })
}

// AddMemberTx is AddMember inside a ChangeTx transaction.
func AddMemberTx(ctx context.Context, tx *sqlx.Tx, tenantID, userID uuid.UUID) error {
	_, err := tx.ExecContext(ctx, `
		insert into control.memberships (tenant_id, user_id, status) values ($1, $2, 'active')
		on conflict (tenant_id, user_id) do update set status = 'active'`, tenantID, userID)
	return err
}

// Grant gives a member a role in the tenant. A user who is not a member
// (active or pending) is not found; an unknown role is invalid.
func (a *Authorizer) Grant(ctx context.Context, tenantID, userID uuid.UUID, role string) error {
	return a.ChangeTx(ctx, tenantID, func(tx *sqlx.Tx) error { return GrantTx(ctx, tx, tenantID, userID, role) })
}

// GrantTx is Grant inside a ChangeTx transaction.
func GrantTx(ctx context.Context, tx *sqlx.Tx, tenantID, userID uuid.UUID, role string) error {
	var member, roleExists bool
	err := tx.QueryRowxContext(ctx, `
		select exists (select 1 from control.memberships where tenant_id = $1 and user_id = $2),
		       exists (select 1 from control.roles where tenant_id = $1 and name = $3)`, tenantID, userID, role).Scan(&member, &roleExists)
	if err != nil {
		return err
	}
	if !member {
		return &core.Error{Code: core.CodeNotFound, Message: "user is not a member of this tenant"}
	}
	if !roleExists {
		return errUnknownRole("role", role)
	}
	_, err = tx.ExecContext(ctx, `
		insert into control.authz_rules (tenant_id, ptype, v0, v1, v2) values ($1, 'g', $2, $3, $1::uuid::text)
		on conflict do nothing`, tenantID, userID.String(), role)
	return err
}

// Revoke takes a role from a user in the tenant; other tenants' grants of
// the same user are untouched.
func (a *Authorizer) Revoke(ctx context.Context, tenantID, userID uuid.UUID, role string) error {
	return a.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if role == RoleTenantAdmin {
			if err := keepAnAdmin(ctx, tx, tenantID, userID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `
			delete from control.authz_rules where tenant_id = $1 and ptype = 'g' and v0 = $2 and v1 = $3 and v2 = $1::uuid::text`,
			tenantID, userID.String(), role)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &core.Error{Code: core.CodeNotFound, Message: fmt.Sprintf("the user does not hold role %q here", role)}
		}
		return nil
	})
}

// RemoveMember takes the user out of the tenant: membership, roles, the
// API tokens they hold for it and their pending invites.
func (a *Authorizer) RemoveMember(ctx context.Context, tenantID, userID uuid.UUID) error {
	return a.change(ctx, tenantID, func(tx *sqlx.Tx) error {
		if err := keepAnAdmin(ctx, tx, tenantID, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `delete from control.memberships where tenant_id = $1 and user_id = $2`, tenantID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &core.Error{Code: core.CodeNotFound, Message: "user is not a member of this tenant"}
		}
		for _, q := range []string{
			`delete from control.authz_rules where tenant_id = $1 and ptype = 'g' and v0 = $2::text and v2 = $1::uuid::text`,
			`update control.api_tokens set revoked_at = now() where tenant_id = $1 and user_id = $2 and revoked_at is null`,
			`delete from control.invites where tenant_id = $1 and user_id = $2 and accepted_at is null`,
		} {
			if _, err := tx.ExecContext(ctx, q, tenantID, userID); err != nil {
				return err
			}
		}
		return nil
	})
}

// ParsePermissions reads permission names for a role; each bad name is a
// field error keyed field[i].
func ParsePermissions(field string, names []string) ([]Permission, error) {
	out := make([]Permission, 0, len(names))
	bad := map[string]string{}
	seen := map[Permission]bool{}
	for i, n := range names {
		p, err := ParsePermission(n)
		if err != nil {
			bad[fmt.Sprintf("%s[%d]", field, i)] = err.Error()
			continue
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(bad) > 0 {
		return nil, core.Invalid(bad)
	}
	sortPermissions(out)
	return out, nil
}

// CreateRole adds a custom role to the tenant.
func (a *Authorizer) CreateRole(ctx context.Context, tenantID uuid.UUID, r Role) error {
	if !ValidRoleName(r.Name) {
		return core.Invalid(map[string]string{"name": "use 2–40 lowercase letters, digits or underscores, starting with a letter"})
	}
	for _, p := range r.Permissions {
		if !p.Exists() {
			return core.Invalid(map[string]string{"permissions": fmt.Sprintf("unknown permission %q", p)})
		}
	}
	return a.ChangeTx(ctx, tenantID, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into control.roles (tenant_id, name, own_records_only) values ($1, $2, $3)`, tenantID, r.Name, r.OwnRecordsOnly)
		if pe, ok := err.(*pq.Error); ok && pe.Code == "23505" {
			return &core.Error{Code: core.CodeConflict, Message: fmt.Sprintf("role %q already exists", r.Name), Fields: map[string]string{"name": "already exists"}}
		}
		if err != nil {
			return err
		}
		return insertPerms(ctx, tx, tenantID, r.Name, r.Permissions)
	})
}

// RoleUpdate changes a role; nil fields stay as they are.
type RoleUpdate struct {
	Permissions    *[]Permission
	OwnRecordsOnly *bool
}

// UpdateRole edits a role's permissions or scope. The tenant admin role
// keeps the permissions that administer roles, so that a tenant cannot
// lock itself out.
func (a *Authorizer) UpdateRole(ctx context.Context, tenantID uuid.UUID, name string, u RoleUpdate) error {
	if u.Permissions != nil && name == RoleTenantAdmin {
		has := map[Permission]bool{}
		for _, p := range *u.Permissions {
			has[p] = true
		}
		for _, p := range []Permission{P(Roles, Read), P(Roles, Update), P(Users, Read), P(Users, Update)} {
			if !has[p] {
				return core.Invalid(map[string]string{"permissions": fmt.Sprintf("the tenant_admin role must keep %s", p)})
			}
		}
	}
	return a.ChangeTx(ctx, tenantID, func(tx *sqlx.Tx) error {
		var exists bool
		if err := tx.GetContext(ctx, &exists, `select exists (select 1 from control.roles where tenant_id = $1 and name = $2 for update)`, tenantID, name); err != nil {
			return err
		}
		if !exists {
			return &core.Error{Code: core.CodeNotFound, Message: fmt.Sprintf("no role %q", name)}
		}
		if u.OwnRecordsOnly != nil {
			if _, err := tx.ExecContext(ctx, `update control.roles set own_records_only = $3 where tenant_id = $1 and name = $2`, tenantID, name, *u.OwnRecordsOnly); err != nil {
				return err
			}
		}
		if u.Permissions != nil {
			if _, err := tx.ExecContext(ctx, `delete from control.authz_rules where tenant_id = $1 and ptype = 'p' and v0 = $2 and v1 = $1::uuid::text`, tenantID, name); err != nil {
				return err
			}
			if err := insertPerms(ctx, tx, tenantID, name, *u.Permissions); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteRole removes a role and its grants from the tenant; a role of the
// same name in another tenant is untouched. tenant_admin cannot be
// deleted.
func (a *Authorizer) DeleteRole(ctx context.Context, tenantID uuid.UUID, name string) error {
	if name == RoleTenantAdmin {
		return &core.Error{Code: core.CodeConflict, Message: "the tenant_admin role cannot be deleted"}
	}
	return a.ChangeTx(ctx, tenantID, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `delete from control.roles where tenant_id = $1 and name = $2`, tenantID, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &core.Error{Code: core.CodeNotFound, Message: fmt.Sprintf("no role %q", name)}
		}
		_, err = tx.ExecContext(ctx, `
			delete from control.authz_rules where tenant_id = $1 and v1 = $1::uuid::text and ptype = 'p' and v0 = $2`, tenantID, name)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
			delete from control.authz_rules where tenant_id = $1 and v2 = $1::uuid::text and ptype = 'g' and v1 = $2`, tenantID, name)
		return err
	})
}

// keepAnAdmin refuses to take the last tenant_admin away from a tenant:
// nobody could administer it afterwards. The tenant_admin role row is
// locked so that two admins removing each other at once cannot both
// succeed.
func keepAnAdmin(ctx context.Context, tx *sqlx.Tx, tenantID, leaving uuid.UUID) error {
	if _, err := tx.ExecContext(ctx, `select 1 from control.roles where tenant_id = $1 and name = $2 for update`, tenantID, RoleTenantAdmin); err != nil {
		return err
	}
	var isAdmin bool
	var others int
	err := tx.QueryRowxContext(ctx, `
		select coalesce(bool_or(v0 = $3), false), count(*) filter (where v0 <> $3)
		from control.authz_rules r
		join control.memberships m on m.tenant_id = r.tenant_id and m.user_id::text = r.v0 and m.status = 'active'
		where r.tenant_id = $1 and r.ptype = 'g' and r.v1 = $2 and r.v2 = $1::uuid::text`,
		tenantID, RoleTenantAdmin, leaving.String()).Scan(&isAdmin, &others)
	if err != nil {
		return err
	}
	if isAdmin && others == 0 {
		return &core.Error{Code: core.CodeConflict, Message: "this is the tenant's last tenant_admin: grant the role to someone else first"}
	}
	return nil
}
