// Documentation generated from the runbook definitions the tool executes
// (`ecap-dr runbook docs`), so the procedure people read cannot drift from
// the one that runs. The shipped runbooks' Markdown is committed under
// docs/runbooks/, and a test fails when it differs from what this generates.
//
// Markdown: per runbook its purpose, estimate, prerequisites, parameters and
// each step with what it runs (the built-in action and its arguments, or the
// shell command), how it is verified, how it is rolled back or why it cannot
// be, where it asks for a confirmation; then its dependency graph as a text
// outline. HTML: the same Markdown rendered by libcmark into a self-contained
// page (a libmstch template, inline style), with the graph drawn as inline
// SVG by Graphviz's `dot` when it is installed.
#pragma once

#include <string>
#include <vector>

#include "dr/result.h"
#include "runbook/actions.h"
#include "runbook/runbook.h"

namespace dr::runbook {

// One runbook as Markdown. Deterministic: the same definitions give the same bytes.
std::string RunbookMarkdown(const Runbook& runbook, const ActionRegistry& actions);
// The index of the runbooks (README.md of docs/runbooks): a table linking NAME.md.
std::string IndexMarkdown(const std::vector<Runbook>& runbooks);
// The dependency graph in Graphviz's language.
std::string RunbookDot(const Runbook& runbook);
// The dependency graph drawn by `dot -Tsvg`; kNotFound when dot is not installed.
Result<std::string> RunbookSvg(const Runbook& runbook);
// A self-contained HTML page: `markdown` rendered, `svg` (may be empty) under it.
Result<std::string> HtmlPage(const std::string& title, const std::string& markdown, const std::string& svg);

}  // namespace dr::runbook
