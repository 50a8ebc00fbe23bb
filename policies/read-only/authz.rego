# Plugs the read-only pack into the decision package.
package mcp.authz

import rego.v1

allow if data.mcp.packs.read_only.allow

deny contains reason if some reason in data.mcp.packs.read_only.deny
