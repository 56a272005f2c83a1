package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const contractCols = `id, customer_id, subject, type, value, monthly_value, currency, start_on, end_on, signed, signed_at, renewal_of, status, churned, external_ref, created_at, updated_at`

// CreateContract adds a contract to a customer the actor can see; a known
// external_ref updates that contract instead.
func (s *Store) CreateContract(ctx context.Context, customerID uuid.UUID, u core.ContractUpdate) (c core.Contract, created bool, err error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return c, false, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		existing, err := lrByRef(ctx, tx, "contracts", u.ExternalRef)
		if err != nil {
			return err
		}
		if existing != nil {
			if err := sc.getLinked(ctx, tx, &c, "contracts", contractCols, *existing, true); err != nil {
				return err
			}
			if c.CustomerID != customerID {
				return lrRefElsewhere("contract")
			}
			return sc.saveContract(ctx, tx, &c, u, false)
		}
		created = true
		c = core.Contract{ID: core.NewID(), CustomerID: customerID, Status: "active"}
		return sc.saveContract(ctx, tx, &c, u, true)
	})
	return c, created, err
}

// Contract returns one contract.
func (s *Store) Contract(ctx context.Context, id uuid.UUID) (core.Contract, error) {
	var c core.Contract
	err := s.lrReadOne(ctx, &c, "contracts", contractCols, id)
	return c, err
}

// Contracts lists contracts, newest first.
func (s *Store) Contracts(ctx context.Context, f LinkFilter) (LinkPage[core.Contract], error) {
	return lrList[core.Contract](ctx, s, "contracts", contractCols, f)
}

// UpdateContract changes a contract.
func (s *Store) UpdateContract(ctx context.Context, id uuid.UUID, u core.ContractUpdate) (core.Contract, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Contract{}, err
	}
	var c core.Contract
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getLinked(ctx, tx, &c, "contracts", contractCols, id, true); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		return sc.saveContract(ctx, tx, &c, u, false)
	})
	return c, err
}

// DeleteContract deletes a contract.
func (s *Store) DeleteContract(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "contracts", id)
}

func (sc lrScope) saveContract(ctx context.Context, tx *sqlx.Tx, c *core.Contract, u core.ContractUpdate, isNew bool) error {
	c.SignedAt = lrMicroPtr(c.SignedAt)
	before := *c
	u.Apply(c, time.Now())
	c.SignedAt = lrMicroPtr(c.SignedAt)
	if err := c.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *c) {
		return nil
	}
	if c.RenewalOf != nil {
		var n int
		if err := tx.GetContext(ctx, &n, `select count(*) from contracts where id = $1 and customer_id = $2`, *c.RenewalOf, c.CustomerID); err != nil {
			return err
		}
		if n == 0 {
			return core.Invalid(map[string]string{"renewal_of": "must be a contract of the same customer"})
		}
	}
	err := tx.GetContext(ctx, c, `insert into contracts (id, customer_id, subject, type, value, monthly_value, currency, start_on, end_on, signed, signed_at, renewal_of, status, churned, external_ref)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		on conflict (id) do update set subject = excluded.subject, type = excluded.type, value = excluded.value,
			monthly_value = excluded.monthly_value, currency = excluded.currency, start_on = excluded.start_on,
			end_on = excluded.end_on, signed = excluded.signed, signed_at = excluded.signed_at, renewal_of = excluded.renewal_of,
			status = excluded.status, churned = excluded.churned, external_ref = excluded.external_ref, updated_at = now()
		returning `+contractCols,
		c.ID, c.CustomerID, c.Subject, c.Type, c.Value, c.MonthlyValue, c.Currency, c.StartOn, c.EndOn, c.Signed, c.SignedAt, c.RenewalOf, c.Status, c.Churned, c.ExternalRef)
	return lrUnique(err, "external_ref already used")
}
