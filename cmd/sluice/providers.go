package main

import (
	"github.com/sluicehq/sluice/gateway"
)

// registry returns the providers configured by the environment and a .env
// file in the working directory.
func (a *App) registry() (*gateway.Registry, error) {
	env, err := gateway.Env(a.Getenv, ".env")
	if err != nil {
		return nil, err
	}
	return gateway.Builtin(env), nil
}

// defaultModel picks the model to use when none is named.
func (a *App) defaultModel(reg *gateway.Registry) string {
	return gateway.DefaultModel(reg)
}
