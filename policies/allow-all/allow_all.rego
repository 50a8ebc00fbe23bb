# Pack `allow-all`: every request allowed, nothing hidden. For audit-only deployments (record
# everything, block nothing) and for testing the proxy itself; name it explicitly with
# `--policy allow-all`, since the policy in force when none is named is `default` (read-only).
package mcp.authz

import rego.v1

allow := true
