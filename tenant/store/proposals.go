package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

const proposalCols = `id, customer_id, subject, total, currency, status, sent_on, open_till, external_ref, created_at, updated_at`

// CreateProposal adds a proposal to a customer the actor can see; a known
// external_ref updates that proposal instead.
func (s *Store) CreateProposal(ctx context.Context, customerID uuid.UUID, u core.ProposalUpdate) (p core.Proposal, created bool, err error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return p, false, err
	}
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.customerVisible(ctx, tx, customerID); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		existing, err := lrByRef(ctx, tx, "proposals", u.ExternalRef)
		if err != nil {
			return err
		}
		if existing != nil {
			if err := sc.getLinked(ctx, tx, &p, "proposals", proposalCols, *existing, true); err != nil {
				return err
			}
			if p.CustomerID != customerID {
				return lrRefElsewhere("proposal")
			}
			return sc.saveProposal(ctx, tx, &p, u, false)
		}
		created = true
		p = core.Proposal{ID: core.NewID(), CustomerID: customerID, Status: "draft"}
		return sc.saveProposal(ctx, tx, &p, u, true)
	})
	return p, created, err
}

// Proposal returns one proposal.
func (s *Store) Proposal(ctx context.Context, id uuid.UUID) (core.Proposal, error) {
	var p core.Proposal
	err := s.lrReadOne(ctx, &p, "proposals", proposalCols, id)
	return p, err
}

// Proposals lists proposals, newest first.
func (s *Store) Proposals(ctx context.Context, f LinkFilter) (LinkPage[core.Proposal], error) {
	return lrList[core.Proposal](ctx, s, "proposals", proposalCols, f)
}

// UpdateProposal changes a proposal.
func (s *Store) UpdateProposal(ctx context.Context, id uuid.UUID, u core.ProposalUpdate) (core.Proposal, error) {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return core.Proposal{}, err
	}
	var p core.Proposal
	err = tenant.Tx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := sc.getLinked(ctx, tx, &p, "proposals", proposalCols, id, true); err != nil {
			return err
		}
		lrTrimRef(&u.ExternalRef)
		return sc.saveProposal(ctx, tx, &p, u, false)
	})
	return p, err
}

// DeleteProposal deletes a proposal.
func (s *Store) DeleteProposal(ctx context.Context, id uuid.UUID) error {
	return s.lrDelete(ctx, "proposals", id)
}

func (sc lrScope) saveProposal(ctx context.Context, tx *sqlx.Tx, p *core.Proposal, u core.ProposalUpdate, isNew bool) error {
	before := *p
	u.Apply(p)
	if err := p.Validate(); err != nil {
		return err
	}
	if !isNew && lrSame(before, *p) {
		return nil
	}
	err := tx.GetContext(ctx, p, `insert into proposals (id, customer_id, subject, total, currency, status, sent_on, open_till, external_ref)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (id) do update set subject = excluded.subject, total = excluded.total, currency = excluded.currency,
			status = excluded.status, sent_on = excluded.sent_on, open_till = excluded.open_till,
			external_ref = excluded.external_ref, updated_at = now()
		returning `+proposalCols,
		p.ID, p.CustomerID, p.Subject, p.Total, p.Currency, p.Status, p.SentOn, p.OpenTill, p.ExternalRef)
	return lrUnique(err, "external_ref already used")
}
