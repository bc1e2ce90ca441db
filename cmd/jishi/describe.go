package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
)

// describe turns a core error into a readable message with its field
// errors, in English on the command line.
func describe(err error) error {
	var e *core.Error
	if !errors.As(err, &e) || e.Code == core.Internal {
		return err
	}
	var parts []string
	for f, k := range e.Fields {
		parts = append(parts, fmt.Sprintf("%s: %s", f, i18n.T(i18n.EN, k)))
	}
	sort.Strings(parts)
	msg := i18n.T(i18n.EN, e.Message, e.Args...)
	if len(parts) > 0 {
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return errors.New(msg)
}
