// Prints, as JSON, the properties and chaining methods of every node type of Kapacitor's TICKscript
// pipeline, found by reflection the way Kapacitor's evaluator finds them. Run it inside the Go
// module that requires Kapacitor (see README.md beside this file).
package main

import (
	"encoding/json"
	"go/ast"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/influxdata/kapacitor/pipeline"
)

type nodeInfo struct {
	Properties map[string]string `json:"properties"` // name -> result type ("" = same object)
	Chain      map[string]string `json:"chain"`
}

var out = map[string]*nodeInfo{}

func short(t reflect.Type) string {
	if t.Kind() == reflect.Ptr && t.Elem().Kind() == reflect.Struct && strings.HasSuffix(t.Elem().PkgPath(), "kapacitor/pipeline") {
		return t.Elem().Name()
	}
	return ""
}

// properties: exported settable fields and tick-tagged property methods, through anonymous fields.
func props(st reflect.Type, pt reflect.Type, res map[string]string, methods map[string]bool) {
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if f.Anonymous {
			et := f.Type
			exported := pt
			if et.Kind() == reflect.Ptr {
				et = et.Elem()
			}
			if et.Kind() != reflect.Struct {
				continue
			}
			if ast.IsExported(f.Name) {
				exported = reflect.PtrTo(et)
			}
			sub := map[string]string{}
			props(et, exported, sub, methods)
			for k, v := range sub {
				if _, ok := res[k]; !ok {
					res[k] = v
				}
			}
			continue
		}
		if m := f.Tag.Get("tick"); m != "" {
			meth, ok := pt.MethodByName(m)
			if ok {
				r := ""
				if meth.Type.NumOut() > 0 {
					r = short(meth.Type.Out(0))
				}
				res[m] = "method:" + r
				if r != "" {
					typeByName[r] = meth.Type.Out(0).Elem()
				}
				methods[m] = true
			}
		} else if ast.IsExported(f.Name) {
			res[f.Name] = "field"
		}
	}
}

func visit(pt reflect.Type) {
	name := short(pt)
	if name == "" || out[name] != nil {
		return
	}
	info := &nodeInfo{Properties: map[string]string{}, Chain: map[string]string{}}
	out[name] = info
	methods := map[string]bool{}
	props(pt.Elem(), pt, info.Properties, methods)
	for i := 0; i < pt.NumMethod(); i++ {
		m := pt.Method(i)
		if methods[m.Name] {
			continue
		}
		r := ""
		if m.Type.NumOut() > 0 {
			r = short(m.Type.Out(0))
			if r != "" {
				typeByName[r] = m.Type.Out(0).Elem()
			}
		}
		info.Chain[m.Name] = r
	}
	v := reflect.New(pt.Elem())
	fill(v.Elem())
	if pd, ok := v.Interface().(interface {
		ChainMethods() map[string]reflect.Value
	}); ok {
		for k, f := range pd.ChainMethods() {
			r := ""
			if f.Type().NumOut() > 0 {
				r = short(f.Type().Out(0))
			}
			info.Chain[k] = r
			if f.Type().NumOut() > 0 && r != "" {
				typeByName[r] = f.Type().Out(0).Elem()
			}
		}
	}
	var next []string
	for _, r := range info.Chain {
		next = append(next, r)
	}
	for _, r := range info.Properties {
		if strings.HasPrefix(r, "method:") {
			next = append(next, strings.TrimPrefix(r, "method:"))
		}
	}
	sort.Strings(next)
	for _, r := range next {
		if r != "" {
			visit(reflect.PtrTo(typeByName[r]))
		}
	}
}

func fill(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.Anonymous {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Ptr && fv.IsNil() && fv.CanSet() && fv.Type().Elem().Kind() == reflect.Struct {
			fv.Set(reflect.New(fv.Type().Elem()))
			fill(fv.Elem())
		} else if fv.Kind() == reflect.Struct {
			fill(fv)
		}
	}
}

var typeByName = map[string]reflect.Type{}

func register(ts ...interface{}) {
	for _, t := range ts {
		rt := reflect.TypeOf(t)
		typeByName[rt.Elem().Name()] = rt.Elem()
	}
}

func main() {
	// Discover types through method return types.
	seed := []reflect.Type{reflect.TypeOf(&pipeline.StreamNode{}), reflect.TypeOf(&pipeline.BatchNode{})}
	var walk func(t reflect.Type)
	seen := map[reflect.Type]bool{}
	walk = func(t reflect.Type) {
		if seen[t] || short(t) == "" {
			return
		}
		seen[t] = true
		typeByName[t.Elem().Name()] = t.Elem()
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			for j := 0; j < m.Type.NumOut(); j++ {
				walk(m.Type.Out(j))
			}
		}
	}
	for _, s := range seed {
		walk(s)
	}
	for _, s := range seed {
		visit(s)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	enc.Encode(out)
}
