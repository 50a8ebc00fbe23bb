/**
 * A policy whose deny rules raise a builtin error on some inputs (startswith of a non-string): a
 * request whose `name` argument is not a string, and a listed tool whose title is not one. Under
 * policy.builtinErrors strict the error denies; under undefined (OPA's default) the rule does not fire.
 */
export const BUILTIN_ERROR_POLICY = `package mcp.authz

import rego.v1

deny contains "x" if startswith(input.arguments.name, "-")

deny contains "hidden" if {
	input.phase == "list"
	startswith(input.tool.annotations.title, "-")
}
`;
