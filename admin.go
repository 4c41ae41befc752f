package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

const usage = `usage:
  p06 [serve]                 run the server (configuration by environment, see README.md)
  p06 admin create --username NAME --name "DISPLAY NAME" [--unit VN] [--email ADDR]
                              create an administrator; the password is read from standard input`

// stdinKey lets tests give the admin command its standard input.
type stdinKey struct{}

func stdin(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

// runAdmin runs "p06 admin …": creating the first administrator of an
// install, which starts with no users outside demo mode.
func runAdmin(ctx context.Context, db *store.DB, args []string, in io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "username")
	name := fs.String("name", "", "display name")
	unit := fs.String("unit", "VN", "code of the unit the administrator manages (with everything below it)")
	email := fs.String("email", "", "email address")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("admin create: %w\n%s", err, usage)
	}
	if *username == "" || *name == "" {
		return fmt.Errorf("admin create needs --username and --name\n%s", usage)
	}
	fmt.Fprintln(stdout, "Mật khẩu (password), một dòng:")
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		return err
	}
	svc := auth.NewService(db, authz, store.SystemClock, auth.DefaultConfig)
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{Username: *username, DisplayName: *name, Email: *email, OrgUnit: *unit, Password: password})
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	if _, err := svc.GrantRole(ctx, nil, u.ID, rbac.Admin, *unit); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(stdout, "created administrator %s (ADMIN on %s)\n", u.Username, *unit)
	return nil
}
