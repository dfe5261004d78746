// health-check reads one Kubernetes object as JSON on stdin and prints its health as one JSON line,
// the way the GitOps tools compute it:
//
//	health-check kstatus         Flux: sigs.k8s.io/cli-utils kstatus status.Compute
//	                             → {"status":"Current|InProgress|Failed|Terminating","message":...}
//	health-check lua <script>    Argo CD: a resource_customizations health.lua run in gopher-lua with
//	                             the object as the global `obj`, loaded as Argo CD's util/lua does
//	                             → {"status":"Healthy|Progressing|Degraded|...","message":...}
//
// The object is decoded as client-go decodes it (integers become int64), so Lua sees the same
// table Argo CD would give the script.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type result struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Argo CD's health status codes; anything else a script returns reads as Unknown.
var argoCodes = map[string]bool{"Unknown": true, "Progressing": true, "Healthy": true, "Suspended": true, "Degraded": true, "Missing": true}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "health-check:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	input, err := io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	if err != nil {
		return err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(input); err != nil {
		return fmt.Errorf("decoding the object: %w", err)
	}
	var out result
	switch {
	case len(args) == 1 && args[0] == "kstatus":
		res, err := status.Compute(obj)
		if err != nil {
			return err
		}
		out = result{Status: string(res.Status), Message: res.Message}
	case len(args) == 2 && args[0] == "lua":
		script, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		out, err = runHealthLua(obj, string(script))
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("usage: health-check kstatus | health-check lua <health.lua>   (object JSON on stdin)")
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// runHealthLua runs a health script as Argo CD does: only the package, base and table libraries
// (no string, os or io unless a customization opts in), a one-second deadline, `obj` set to the
// object, and the returned table read for status and message.
func runHealthLua(obj *unstructured.Unstructured, script string) (result, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return result{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return result{}, err
	}
	ret := l.Get(-1)
	switch ret.Type() {
	case lua.LTNil:
		return result{}, nil
	case lua.LTTable:
		t := ret.(*lua.LTable)
		out := result{Status: luaString(t.RawGetString("status")), Message: luaString(t.RawGetString("message"))}
		if !argoCodes[out.Status] {
			return result{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
		}
		return out, nil
	default:
		return result{}, fmt.Errorf("the script returned a %s, not a table", ret.Type())
	}
}

func luaString(v lua.LValue) string {
	if v.Type() == lua.LTNil {
		return ""
	}
	return v.String()
}

// toLua converts a decoded object the way Argo CD's decodeValue does: maps become hash tables,
// slices arrays, numbers LNumber, and anything else nil.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case []any:
		arr := l.CreateTable(len(v), 0)
		for _, item := range v {
			arr.Append(toLua(l, item))
		}
		return arr
	case map[string]any:
		tbl := l.CreateTable(0, len(v))
		for k, item := range v {
			tbl.RawSetH(lua.LString(k), toLua(l, item))
		}
		return tbl
	}
	return lua.LNil
}
