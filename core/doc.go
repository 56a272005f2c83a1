// Package core is Gomato's vocabulary: domain types, the one application
// error type, the tenant and actor carried in a context, and (in
// subpackages) the retention models. It performs no I/O and imports no
// framework, database, queue or plugin library, so that every edge of the
// product — HTTP, jobs, CLI, plugins — speaks the same language.
package core
