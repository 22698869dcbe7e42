package main

import (
	"errors"
	"testing"
)

func TestParseLimits(t *testing.T) {
	for name, tc := range map[string]struct {
		env     map[string]string
		want    LimitsConfig
		wantVar string
	}{
		"defaults":                            {want: LimitsConfig{FloodLimit: 20, MaxActiveTickets: 3}},
		"set":                                 {env: map[string]string{"FLOOD_LIMIT": "40", "MAX_ACTIVE_TICKETS": "0", "METRICS_ADDR": "127.0.0.1:9090"}, want: LimitsConfig{FloodLimit: 40, MaxActiveTickets: 0, MetricsAddr: "127.0.0.1:9090"}},
		"zero flood limit":                    {env: map[string]string{"FLOOD_LIMIT": "0"}, wantVar: "FLOOD_LIMIT"},
		"negative cap":                        {env: map[string]string{"MAX_ACTIVE_TICKETS": "-1"}, wantVar: "MAX_ACTIVE_TICKETS"},
		"cap not a number":                    {env: map[string]string{"MAX_ACTIVE_TICKETS": "three"}, wantVar: "MAX_ACTIVE_TICKETS"},
		"metrics not an addr":                 {env: map[string]string{"METRICS_ADDR": "9090"}, wantVar: "METRICS_ADDR"},
		"metrics on http":                     {env: map[string]string{"METRICS_ADDR": ":8080"}, wantVar: "METRICS_ADDR"},
		"metrics on all of http's interfaces": {env: map[string]string{"HTTP_ADDR": "10.0.0.1:8080", "METRICS_ADDR": "0.0.0.0:8080"}, wantVar: "METRICS_ADDR"},
		"same port, other host":               {env: map[string]string{"HTTP_ADDR": "10.0.0.1:8080", "METRICS_ADDR": "127.0.0.1:8080"}, want: LimitsConfig{FloodLimit: 20, MaxActiveTickets: 3, MetricsAddr: "127.0.0.1:8080"}},
	} {
		t.Run(name, func(t *testing.T) {
			vars := map[string]string{"REDIS_URL": "redis://localhost:6379"}
			for k, v := range tc.env {
				vars[k] = v
			}
			c, err := parseConfig(envOf(vars), false)
			var ce *ConfigError
			switch {
			case tc.wantVar != "":
				if !errors.As(err, &ce) || ce.Var != tc.wantVar {
					t.Fatalf("error = %v, want one naming %s", err, tc.wantVar)
				}
			case err != nil:
				t.Fatal(err)
			case c.Limits != tc.want:
				t.Errorf("limits = %+v, want %+v", c.Limits, tc.want)
			}
		})
	}
}
