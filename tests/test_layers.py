"""The capture core is a line, not a knot: no lower module imports a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "autocapture"

# Bottom first. A module may import modules of the layers below its own, never of its
# own layer or above. Modules not listed are doors (decorator, helpers, asgi, tasks,
# audit...), above every listed layer: a listed module importing one is an error.
LAYERS: tuple[tuple[str, ...], ...] = (
    # Leaves: pure data and algorithms, importing nothing of autocapture's.
    (
        "_answers",
        "_checks",
        "_context_types",
        "_left",
        "_names",
        "_once",
        "_operation_words",
        "_paths",
        "_ratelimit",
        "_rewritten",
        "_signal_words",
        "_uuid",
    ),
    ("_lexicon",),  # inference's lookup tables, derived from the word tables
    ("_rules",),  # the word tables as one Rules value
    ("_infer",),  # names -> context type and operation
    ("_scrub",),  # a package: keys, shapes, text rules, the walker, event-wide secrets
    ("_context",),  # bind_context; remembers the secrets its scrubbed copy found
    ("_stack",),  # call stacks as data, locals scrubbed
    # The event (it holds the callers as _stack frames); scrubbed exception stand-ins.
    ("_event", "_stand_in"),
    ("_config",),  # configuration: the rules, the scrub options, the scrubber (at first use)
    ("_log",),  # the library's own voice, scrubbed with the configured scrubber
    ("_sentry_skip",),  # keeps Sentry's integrations from building events to be dropped
    ("_sentry",),  # a package: Sentry's event, exit scrubber, once-only processor
    ("_queue",),  # the background queue and its worker
    ("_sinks", "_otel"),  # where events go
    ("_delivery",),  # on the caller or from a worker thread
    ("_build",),  # an event's scrubbed fields from its raw parts (event-wide redaction)
    ("_pending",),  # a plain MemorySink's event: a snapshot, scrubbed at its first read
    ("_capture",),  # the capture core: claim, build, deliver
    ("_plan",),  # a decorated function's error core, built at its first failure
)
# Known exceptions, each with its reason. Anything else upward is a knot.
ALLOWED = {
    # An annotation only (under TYPE_CHECKING): Compiled is derived from a Rules.
    ("_lexicon", "_rules"),
    # autocapture.logs' filter lives with the scrubber and reads the configured scrubber
    # when a record is filtered (an import inside the function, never at import time).
    ("_scrub", "_config"),
    # The same filter turns a record's live exception into the inert stand-in LoggingSink
    # uses (an import inside the function, when a record with exc_info is filtered).
    ("_scrub", "_stand_in"),
}
LAYER_OF = {module: level for level, modules in enumerate(LAYERS) for module in modules}


def _imports(path: Path) -> set[str]:
    """Every autocapture module ``path`` imports, at any depth, type-checking ones too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "autocapture" and len(parts) > 1:
                found.add(parts[1])
    return found


def _module_imports(module: str) -> set[str]:
    """The imports of a module, or of every file of a package."""
    if (PACKAGE / module).is_dir():
        return set().union(*(_imports(p) for p in (PACKAGE / module).glob("*.py")))
    return _imports(PACKAGE / f"{module}.py")


def test_no_core_module_imports_a_higher_one() -> None:
    """Each listed module imports only modules of lower layers."""
    wrong = []
    for module, level in LAYER_OF.items():
        for imported in _module_imports(module) - {module}:
            if not (PACKAGE / f"{imported}.py").exists() and not (PACKAGE / imported).is_dir():
                continue  # a name imported from the package, not a module
            if LAYER_OF.get(imported, len(LAYERS)) >= level and (module, imported) not in ALLOWED:
                wrong.append(f"{module} imports {imported}")
    assert wrong == []


def test_every_layer_names_existing_modules() -> None:
    """The table stays true to the package: no stale names."""
    missing = [
        m for m in LAYER_OF if not (PACKAGE / f"{m}.py").exists() and not (PACKAGE / m).is_dir()
    ]
    assert missing == []
