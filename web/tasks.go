package web

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// Tasks: a role without tasks:manage reaches only tasks assigned to or
// created by the actor and tasks on the actor's own customers (DESIGN §4
// "own, assigned, created"); the store applies it.
func (s *Server) taskRoutes() []Route {
	read := authz.P(authz.Tasks, authz.Read)
	return []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/tasks", Tenant: true, Perm: authz.P(authz.Tasks, authz.Create), Handler: s.createTask},
		{Method: fiber.MethodGet, Path: "/api/v1/tasks", Tenant: true, Perm: read, Handler: s.listTasks},
		{Method: fiber.MethodGet, Path: "/api/v1/customers/:id/tasks", Tenant: true, Perm: read, Handler: s.listTasks},
		{Method: fiber.MethodGet, Path: "/api/v1/tasks/:id", Tenant: true, Perm: read, Handler: s.getTask},
		{Method: fiber.MethodPatch, Path: "/api/v1/tasks/:id", Tenant: true, Perm: authz.P(authz.Tasks, authz.Update), Handler: s.updateTask},
		{Method: fiber.MethodDelete, Path: "/api/v1/tasks/:id", Tenant: true, Perm: authz.P(authz.Tasks, authz.Delete), Handler: s.deleteTask},
	}
}

// taskRules lets the store decide, for the request's actor once it is
// bound, which tasks reads without a TaskAccess reach (profile,
// timeline) and whether rescue-alert tasks show: they say a customer's
// churn risk, so only with scores:read (DESIGN §4).
var taskRules = store.TaskRules{
	All:    func(ctx context.Context) bool { return authz.Can(ctx, authz.P(authz.Tasks, authz.Manage)) },
	Scores: func(ctx context.Context) bool { return authz.Can(ctx, authz.P(authz.Scores, authz.Read)) },
}

// bindTaskRules puts taskRules on every request's context; they are
// evaluated against the context the store gets, after authentication
// and tenant binding.
func bindTaskRules(c *fiber.Ctx) error {
	c.SetUserContext(store.WithTaskRules(c.UserContext(), taskRules))
	return c.Next()
}

func taskAccess(c *fiber.Ctx) store.TaskAccess {
	return store.TaskAccess{All: authz.Can(c.UserContext(), authz.P(authz.Tasks, authz.Manage))}
}

func (s *Server) createTask(c *fiber.Ctx) error {
	var u core.TaskUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	t, err := s.apiStore().CreateTask(c.UserContext(), taskAccess(c), u)
	if err != nil {
		return err
	}
	return sendSaved(c, "/api/v1/tasks/", t, true)
}

func (s *Server) listTasks(c *fiber.Ctx) error {
	var f store.TaskFilter
	if c.Params("id") != "" {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		f.CustomerID = &id
	}
	bad := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key, val := string(k), strings.TrimSpace(string(v))
		switch key {
		case "assignee", "assignee_id":
			id, err := assigneeParam(c, val)
			if err != nil {
				bad[key] = err.Error()
				return
			}
			if f.AssigneeID != nil && *f.AssigneeID != id {
				bad[key] = "names another assignee than the other assignee parameter"
				return
			}
			f.AssigneeID = &id
		case "customer_id":
			id, err := uuid.Parse(val)
			if err != nil {
				bad[key] = "not a UUID"
				return
			}
			if c.Params("id") == "" {
				f.CustomerID = &id
			} else {
				bad[key] = "not allowed under a customer's URL"
			}
		case "status":
			f.Status = append(f.Status, strings.Split(val, ",")...)
		case "cursor":
			f.Cursor = val
		case "limit":
			n, err := strconv.Atoi(core.FoldDigits(val))
			if err != nil || n < 1 || n > 500 {
				bad[key] = "must be a whole number from 1 to 500"
			}
			f.Limit = n
		default:
			bad[key] = "unknown parameter"
		}
	})
	if len(bad) > 0 {
		return core.Invalid(bad)
	}
	p, err := s.apiStore().Tasks(c.UserContext(), taskAccess(c), f)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// assigneeParam reads an assignee filter: "me" is the caller, anything
// else must be a user id.
func assigneeParam(c *fiber.Ctx, val string) (uuid.UUID, error) {
	if strings.EqualFold(val, "me") {
		a, ok := core.ActorFrom(c.UserContext())
		if !ok || a.UserID == uuid.Nil {
			return uuid.Nil, errors.New("me names no user here")
		}
		return a.UserID, nil
	}
	id, err := uuid.Parse(val)
	if err != nil {
		return uuid.Nil, errors.New(`must be "me" or a user id`)
	}
	return id, nil
}

func (s *Server) getTask(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.apiStore().Task(c.UserContext(), taskAccess(c), id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) updateTask(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var u core.TaskUpdate
	if err := decodeJSON(c, &u); err != nil {
		return err
	}
	t, err := s.apiStore().UpdateTask(c.UserContext(), taskAccess(c), id, u)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) deleteTask(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.apiStore().DeleteTask(c.UserContext(), taskAccess(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
