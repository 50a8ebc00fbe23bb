# Identifiers a Nomad MCP server builds HTTP paths and queries from (same package as nomad.rego): a
# job id goes into /v1/job/<id>, an allocation id into /v1/allocation/<id>, a namespace and a task
# into the query. One that carries a path or query character could change the request the server
# sends Nomad, past what the pack judged: job_id "web?namespace=prod" (the server then asks
# /v1/job/web?namespace=prod?namespace=team-a, and Nomad reads the first namespace), "../jobs",
# "web%2F..", "web#". So job_id, allocation_id, namespace and task, when given, must be strings
# without ?, #, /, \, %, &, control characters or "..", and not empty or ".", for every tool of the
# set (reads too: the namespace of a read is judged as well). Nomad's own ids never carry these (a
# namespace is [a-zA-Z0-9-], a job id has no spaces).
package mcp.packs.nomad

import rego.v1

# (one rule per argument, a constant key each: the decision memo keys on these members alone)
identifier_argument contains ["job_id", v] if v := args.job_id

identifier_argument contains ["allocation_id", v] if v := args.allocation_id

identifier_argument contains ["namespace", v] if v := args.namespace

identifier_argument contains ["task", v] if v := args.task

identifier_problem(v) := "is not a string" if {
	not is_string(v)
} else := "is empty" if {
	v == ""
} else := "is a path segment ('.' or '..')" if {
	v in {".", ".."}
} else := "contains '..'" if {
	contains(v, "..")
} else := sprintf("contains '%s'", [bad[0]]) if {
	# The first such character in this list's order: one value whatever else the id holds (two
	# values for one input would be a conflict, an evaluation error, not this pack's reason).
	bad := [c | some c in ["?", "#", "/", "\\", "%", "&"]; contains(v, c)]
	count(bad) > 0
} else := "contains a control character" if {
	regex.match(`[\x00-\x1f\x7f]`, v)
}

deny contains sprintf("Argument '%s' %s (it would change the HTTP path or query the server builds): denied", [name, problem]) if {
	applies
	input.phase == "request"
	input.tool
	some [name, value] in identifier_argument
	problem := identifier_problem(value)
}
