// `gitops-check lua -`: runs a Lua program read from stdin under gopher-lua, the Lua that Argo CD embeds,
// with the standard libraries open, like `lua5.4 -` does. The tests' Lua drivers (test/unit/ship/lua.ts)
// run the same program text here and under any system Lua, so the Argo CD health check and resource
// actions are proven under Argo CD's own interpreter on a machine with no Lua package installed.
package main

import (
	"fmt"
	"io"
	"os"

	lua "github.com/yuin/gopher-lua"
)

func luaMain(args []string) {
	if len(args) != 1 || args[0] != "-" {
		fmt.Fprintln(os.Stderr, "usage: gitops-check lua -   (the program is read from stdin)")
		os.Exit(2)
	}
	program, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gitops-check lua:", err)
		os.Exit(2)
	}
	L := lua.NewState()
	defer L.Close()
	if err := L.DoString(string(program)); err != nil {
		fmt.Fprintln(os.Stderr, "gitops-check lua:", err)
		os.Exit(1)
	}
}
