package web

import (
	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) ticketRoutes() []Route {
	st := s.apiStore()
	return linkedAPI[core.Ticket, core.TicketUpdate]{
		noun: "tickets", obj: authz.Tickets, idempotent: true,
		create: st.CreateTicket, get: st.Ticket, list: st.Tickets, update: st.UpdateTicket, del: st.DeleteTicket,
	}.routes(s)
}
