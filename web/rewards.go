package web

import (
	"context"

	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
)

func (s *Server) rewardRoutes() []Route {
	st := s.apiStore()
	return linkedAPI[core.Reward, core.RewardUpdate]{
		noun: "rewards", obj: authz.Rewards, listParams: []string{"kind"},
		create: func(ctx context.Context, cust uuid.UUID, u core.RewardUpdate) (core.Reward, bool, error) {
			r, err := st.CreateReward(ctx, cust, u)
			return r, true, err
		},
		get: st.Reward, list: st.Rewards, update: st.UpdateReward, del: st.DeleteReward,
	}.routes(s)
}
