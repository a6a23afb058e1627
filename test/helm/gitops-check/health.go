// `gitops-check health <health.lua> <obj.yaml>...`: runs an Argo CD health.lua under gopher-lua, the Lua
// that Argo CD embeds, with `obj` converted the way Argo CD converts a resource (numbers are float64).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

type healthReport struct {
	File    string `json:"file"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

// toLua converts decoded JSON (map, slice, float64, string, bool, nil) into Lua values.
func toLua(L *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(x)
	case float64:
		return lua.LNumber(x)
	case string:
		return lua.LString(x)
	case []any:
		t := L.NewTable()
		for i, e := range x {
			t.RawSetInt(i+1, toLua(L, e))
		}
		return t
	case map[string]any:
		t := L.NewTable()
		for k, e := range x {
			t.RawSetString(k, toLua(L, e))
		}
		return t
	}
	panic(fmt.Sprintf("unexpected %T", v))
}

func runHealth(script string, file string) healthReport {
	r := healthReport{File: file}
	data, err := os.ReadFile(file)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	var obj any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		r.Error = err.Error()
		return r
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoFile(script); err != nil {
		r.Error = err.Error()
		return r
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		r.Error = "health.lua did not return a table"
		return r
	}
	r.Status = lua.LVAsString(hs.RawGetString("status"))
	r.Message = lua.LVAsString(hs.RawGetString("message"))
	return r
}

func healthMain(args []string) {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gitops-check health <health.lua> <obj.yaml>...")
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	for _, file := range args[1:] {
		_ = out.Encode(runHealth(args[0], file))
	}
}
