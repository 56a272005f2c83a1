package retention

import (
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Test data lives in the repository's shared testdata folder; tests only
// read it.
const dataDir = "../../testdata/"

// parseCents turns "29.33" into 2933 without going through float64, so
// the money the tests feed in is exactly the published money.
func parseCents(t testing.TB, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	if len(frac) > 2 {
		t.Fatalf("amount %q has more than 2 decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return v
}

// cdnowCustomers is CDNOW transactions grouped per customer, in id order.
type cdnowCustomers struct {
	ids  []int
	txs  [][]Transaction
	rows int
}

// loadCDNOW reads CDNOW_sample.txt (idCol = 1, the sample id) or
// CDNOW_master.txt (idCol = 0, header skipped). Lines end in CRLF.
func loadCDNOW(t testing.TB, file string, idCol int) cdnowCustomers {
	t.Helper()
	f, err := os.Open(dataDir + file)
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	defer f.Close()
	var c cdnowCustomers
	index := map[int]int{}
	sc := bufio.NewScanner(f)
	dateCol := idCol + 1
	if idCol == 1 {
		dateCol = 2
	}
	for sc.Scan() {
		fs := strings.Fields(strings.TrimRight(sc.Text(), "\r"))
		if len(fs) == 0 || fs[0] == "customer_id" {
			continue
		}
		id, err := strconv.Atoi(fs[idCol])
		if err != nil {
			t.Fatalf("%s: bad id in %q", file, sc.Text())
		}
		d, err := time.Parse("20060102", fs[dateCol])
		if err != nil {
			t.Fatalf("%s: bad date in %q", file, sc.Text())
		}
		amt := parseCents(t, fs[len(fs)-1])
		i, ok := index[id]
		if !ok {
			i = len(c.ids)
			index[id] = i
			c.ids = append(c.ids, id)
			c.txs = append(c.txs, nil)
		}
		c.txs[i] = append(c.txs[i], Transaction{At: d, Amount: amt})
		c.rows++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// readCSV returns the records of a small CSV file (header included),
// tolerating CRLF and a missing final newline.
func readCSV(t testing.TB, file string) [][]string {
	t.Helper()
	var r io.Reader
	f, err := os.Open(dataDir + file)
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	defer f.Close()
	r = f
	if strings.HasSuffix(file, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	out := make([][]string, 0, len(lines))
	for _, l := range lines {
		if l == "" {
			continue
		}
		out = append(out, strings.Split(l, ","))
	}
	return out
}

func atof(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

// cdnowCalEnd is the exclusive cut-off of the 39-week calibration period,
// which observes through 1997-09-30 inclusive.
var cdnowCalEnd = time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)

func relErr(got, want float64) float64 {
	if want == 0 {
		return got
	}
	d := (got - want) / want
	if d < 0 {
		d = -d
	}
	return d
}
