// Package plugins will own the out-of-process integration plugins (email,
// SMS, accounting) over hashicorp/go-plugin and gRPC: the versioned
// contract, the partner SDK, the host that starts, supervises and stops
// plugin binaries, and the built-in plugins. They arrive in a later issue;
// the data model already carries what they need (external_ref on ingested
// records, consent on contacts, encrypted plugin settings).
package plugins
