// Package web is Gomato's HTTP side: the Fiber app, its middleware (request
// ids, recovery, tenant resolution, authentication, authorization,
// metrics), the JSON API under /api/v1, and the server-rendered UI. Handlers
// are thin: they decode, call tenant stores and core, and return errors that
// one error handler turns into responses. *fiber.Ctx never leaves this
// package.
package web
