package tenant

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/gomato/gomato/core"
)

// argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane). Each
// hash takes its full memory, so hashes run behind a semaphore.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// hashSlots caps concurrent argon2 hashes at one per core: a burst of
// logins queues instead of taking the machine's memory and CPU.
var hashSlots = make(chan struct{}, max(1, runtime.NumCPU()))

// Password length bounds, in characters.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 200
)

// ValidatePassword checks a new password's length and returns a field
// error keyed by field.
func ValidatePassword(field, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return core.Invalid(map[string]string{field: fmt.Sprintf("use at least %d characters", MinPasswordLen)})
	case n > MaxPasswordLen:
		return core.Invalid(map[string]string{field: fmt.Sprintf("use at most %d characters", MaxPasswordLen)})
	}
	return nil
}

func acquireHashSlot(ctx context.Context) error {
	select {
	case hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &core.Error{Code: core.CodeUnavailable, Message: "too busy, try again", Err: ctx.Err()}
	}
}

func releaseHashSlot() { <-hashSlots }

// HashPassword returns the argon2id hash of pw in PHC string form.
func HashPassword(ctx context.Context, pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := acquireHashSlot(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	releaseHashSlot()
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches the PHC-encoded argon2id hash.
func VerifyPassword(ctx context.Context, encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, fmt.Errorf("password hash: not an argon2id PHC string")
	}
	var version int
	var mem, t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false, fmt.Errorf("password hash version: %w", err)
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &threads); err != nil {
		return false, fmt.Errorf("password hash parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash key: %w", err)
	}
	if err := acquireHashSlot(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, mem, threads, uint32(len(want)))
	releaseHashSlot()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// dummyPasswordHash is a real hash of a random password, verified against
// when the email is unknown so that a wrong email costs the same time as a
// wrong password.
func dummyPasswordHash() string {
	dummyOnce.Do(func() {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		h, err := HashPassword(context.Background(), base64.RawStdEncoding.EncodeToString(b))
		if err != nil {
			panic(err)
		}
		dummyHash = h
	})
	return dummyHash
}
