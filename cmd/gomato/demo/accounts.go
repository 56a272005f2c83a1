package demo

import (
	"context"

	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// ControlPlane is Accounts over the product's own control plane: the user
// store (argon2id hashes only) and the role administration of authz.
type ControlPlane struct {
	Users *tenant.Users
	Authz *authz.Authorizer
}

// EnsureUser creates the user or rotates an existing user's password.
func (c ControlPlane) EnsureUser(ctx context.Context, email, name, locale, password string) (uuid.UUID, error) {
	u, err := c.Users.ByEmail(ctx, email)
	if core.ErrorCode(err) == core.CodeNotFound {
		u, err = c.Users.Create(ctx, tenant.NewUser{Email: email, Name: name, Locale: locale, Password: password})
		return u.ID, err
	}
	if err != nil {
		return uuid.Nil, err
	}
	return u.ID, c.Users.SetPassword(ctx, u.ID, password)
}

// SetOperator makes the user a platform operator.
func (c ControlPlane) SetOperator(ctx context.Context, userID uuid.UUID) error {
	return c.Users.SetOperator(ctx, userID, true)
}

// AddAgencyAdmin makes the user an admin of the agency.
func (c ControlPlane) AddAgencyAdmin(ctx context.Context, agencyID, userID uuid.UUID) error {
	return c.Users.AddAgencyAdmin(ctx, agencyID, userID)
}

// Grant makes the user an active member of the tenant with the role.
func (c ControlPlane) Grant(ctx context.Context, tenantID, userID uuid.UUID, role string) error {
	if err := c.Authz.AddMember(ctx, tenantID, userID); err != nil {
		return err
	}
	return c.Authz.Grant(ctx, tenantID, userID, role)
}
