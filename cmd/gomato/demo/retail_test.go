package demo

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var testToday = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

func dataPath(name string) string { return filepath.Join("..", "..", "..", "testdata", name) }

// TestRetailWholeFile checks the reader against figures from outside it:
// the dataset README (4,372 customers, 135,080 lines without a customer)
// and totals computed with Python's decimal module over the raw CSV:
// kept lines net £8,300,065.814 exactly, which is £8,300,065.81 after the
// four £0.001 lines round half-even to £0.00; dropped lines net
// £1,447,682.12.
func TestRetailWholeFile(t *testing.T) {
	t.Parallel()
	ds, err := ReadRetail(dataPath(RetailFile), Options{Today: testToday})
	if err != nil {
		t.Fatal(err)
	}
	st := ds.Stats
	if st.Customers != 4372 || st.DroppedLines != 135080 || st.Rounded != 4 {
		t.Errorf("customers %d, dropped lines %d, rounded %d; want 4372, 135080, 4", st.Customers, st.DroppedLines, st.Rounded)
	}
	if st.KeptTotal != 830006581 || st.DroppedTotal != 144768212 {
		t.Errorf("kept %d, dropped %d pence; want 830006581, 144768212", st.KeptTotal, st.DroppedTotal)
	}
	if st.Invoices+st.CreditNotes != 22190 || st.Lines != 406829 {
		t.Errorf("%d invoices + %d credit notes, %d lines; want 22190 documents and 406829 lines", st.Invoices, st.CreditNotes, st.Lines)
	}
	if st.CreditNotes != 3654 {
		t.Errorf("credit notes %d, want 3654", st.CreditNotes)
	}
	var sum int64
	for _, inv := range ds.Bulk.Invoices {
		sum += inv.Total
	}
	if sum != st.KeptTotal {
		t.Errorf("invoices sum to %d, stats say %d", sum, st.KeptTotal)
	}
	// The latest purchase lands three days before today.
	var last time.Time
	for _, inv := range ds.Bulk.Invoices {
		if inv.IssuedOn.After(last) {
			last = inv.IssuedOn
		}
	}
	if want := testToday.AddDate(0, 0, -3); !last.Equal(want) {
		t.Errorf("latest invoice on %s, want %s", last.Format(time.DateOnly), want.Format(time.DateOnly))
	}
	t.Logf("credit notes linked to their invoice: %d of %d; shift %d days", st.CreditNotesLinked, st.CreditNotes, st.ShiftDays)
}

// retailSliceTotal recomputes, independently of the reader, the exact net
// total of a retail file's lines that have a customer with math/big
// rationals, each line rounded half-even to pence.
func retailSliceTotal(t *testing.T, path string) (customers int, pence int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(gz)
	cr.Read()
	seen := map[string]bool{}
	total := new(big.Rat)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec[6] == "" {
			continue
		}
		seen[rec[6]] = true
		price, ok := new(big.Rat).SetString(rec[5])
		qty, ok2 := new(big.Rat).SetString(rec[3])
		if !ok || !ok2 {
			t.Fatalf("bad number in %v", rec)
		}
		line := new(big.Rat).Mul(price, qty)
		line.Mul(line, big.NewRat(100, 1))
		// Half-even rounding of a rational to an integer.
		fl := new(big.Int).Quo(line.Num(), line.Denom()) // truncates towards zero
		rem := new(big.Rat).Sub(line, new(big.Rat).SetInt(fl))
		half := big.NewRat(1, 2)
		switch c := new(big.Rat).Abs(rem).Cmp(half); {
		case c > 0 || c == 0 && fl.Bit(0) == 1:
			if rem.Sign() < 0 {
				fl.Sub(fl, big.NewInt(1))
			} else {
				fl.Add(fl, big.NewInt(1))
			}
		}
		total.Add(total, new(big.Rat).SetInt(fl))
	}
	return len(seen), total.Num().Int64()
}
