package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/textnorm"
	"github.com/gomato/gomato/tenant"
)

// ensureSpecialties returns the ids of the named specialties, creating the
// ones that do not exist yet. Names meet in their search form, so "کتاب"
// typed with an Arabic Kaf is the same tag.
func ensureSpecialties(ctx context.Context, tx *sqlx.Tx, names []string) ([]uuid.UUID, error) {
	norms := pq.StringArray{}
	for _, n := range names {
		norm := textnorm.Search(n)
		if _, err := tx.ExecContext(ctx, `insert into specialties (id, name, name_norm) values ($1, $2, $3) on conflict (name_norm) do nothing`,
			core.NewID(), n, norm); err != nil {
			return nil, fmt.Errorf("create specialty: %w", err)
		}
		norms = append(norms, norm)
	}
	var ids []uuid.UUID
	if err := tx.SelectContext(ctx, &ids, `select id from specialties where name_norm = any($1::text[])`, norms); err != nil {
		return nil, fmt.Errorf("find specialties: %w", err)
	}
	return ids, nil
}

// Specialties lists the tenant's specialty tags whose search form contains
// q (all when q is empty), by name, at most limit.
func (s *Store) Specialties(ctx context.Context, q string, limit int) ([]core.Specialty, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	out := []core.Specialty{}
	err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &out, `select id, name from specialties where name_norm like $1 order by name, id limit $2`,
			"%"+cuLikeEscape(textnorm.Search(q))+"%", limit)
	})
	return out, err
}
