// Package deploy holds no Go code of its own: it carries the local service
// script (local/services.sh) that makes Postgres, Redis and Chromium
// available on a developer machine or CI, and later the compose file and
// cluster manifests.
package deploy
