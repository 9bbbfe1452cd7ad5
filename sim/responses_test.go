package sim

import (
	"testing"

	"github.com/sluicehq/sluice"
)

// The tool loop calls an agent's shell, wherever its list puts it.
func TestShellToolFirst(t *testing.T) {
	tools := func(names ...string) []sluice.Tool {
		var ts []sluice.Tool
		for _, n := range names {
			ts = append(ts, sluice.Tool{Name: n})
		}
		return ts
	}
	for _, tt := range []struct {
		tools []sluice.Tool
		want  string
	}{
		{tools("Task", "KillShell", "Bash", "Read"), "Bash"},
		{tools("update_plan", "exec_command", "apply_patch"), "exec_command"},
		{tools("view_image", "run_in_terminal_please"), "run_in_terminal_please"},
		{tools("get_weather", "lookup"), "get_weather"},
	} {
		p := &plan{b: Behavior{Tools: true}, req: &sluice.Request{Tools: tt.tools}}
		if got, ok := p.toolToCall(); !ok || got.Name != tt.want {
			t.Errorf("%v: called %q, want %q", tt.tools, got.Name, tt.want)
		}
	}
}
