"""Run one Pulumi Python program under the SDK's mock runtime and write what it registered as JSON.

policylint starts this file as a script in a child process (`python runner.py REQUEST.json`),
possibly with the program's own virtualenv interpreter, so it imports only the standard library
and the Pulumi SDK, never policylint. The request names the program, the result file, the
traceback file and the time budget; the result lists every resource the program registered
(type token, name, inputs, and the place in the program where its constructor was called).

What the program can do while it runs here:
- no deployment: `pulumi.runtime.set_mocks` replaces the engine; every resource's outputs are
  its inputs, and in preview mode, so outputs that only a deployment knows stay unknown;
- no network: name resolution and socket connections raise `OSError`;
- bounded time: `faulthandler` dumps the stacks and ends the process when the budget is spent,
  so the parent can say where the program was stuck.
"""
from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import runpy
import socket
import sys
import traceback
from typing import Any

# Started as a script, Python put this file's folder first on sys.path; the program must not see
# policylint's modules there (the program's own folder takes that place below).
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    del sys.path[0]

UNKNOWN_MARKER = "$policylint.unknown"
EXIT_NO_SDK = 3
_SECRET_SIG = "4dabf18193072939515e22adb298388d"
# Components (pulumi_kubernetes.yaml v1) whose constructor arguments name what policylint reads
# itself: the YAML file of a ConfigFile, the YAML text of a ConfigGroup. (The v2 components and
# charts are remote components: their arguments arrive as inputs.)
_ARGUMENT_TYPES = {
    "kubernetes:yaml:ConfigFile": ("file", "file_id"),
    "kubernetes:yaml:ConfigGroup": ("yaml",),
}
_NOT_USER_PARTS = ("site-packages", "dist-packages")


class _State:
    def __init__(self, program_dir: str) -> None:
        self.program_dir = os.path.realpath(program_dir)
        self.sites: dict[tuple[str, str], list[list[Any] | None]] = {}
        self.arguments: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.resources: list[dict[str, Any]] = []
        self.invokes: list[dict[str, Any]] = []
        self.user_files: dict[str, bool] = {}

    def is_user_file(self, filename: str) -> bool:
        known = self.user_files.get(filename)
        if known is None:
            real = os.path.realpath(filename)
            relative = os.path.relpath(real, self.program_dir)
            known = (
                filename.endswith(".py")
                and not relative.startswith(os.pardir)
                and not any(part in _NOT_USER_PARTS for part in relative.split(os.sep))
                and real != os.path.realpath(__file__)
            )
            self.user_files[filename] = known
        return known

    def user_site(self, frame: Any) -> list[Any] | None:
        """[file, line, end_line, column, end_column] of the innermost call made in the program."""
        while frame is not None:
            if self.is_user_file(frame.f_code.co_filename):
                return [os.path.realpath(frame.f_code.co_filename), *_call_position(frame)]
            frame = frame.f_back
        return None


def _call_position(frame: Any) -> list[int]:
    """The exact source range of the call instruction the frame is executing (Python ≥ 3.11)."""
    try:
        positions = list(frame.f_code.co_positions())
        line, end_line, column, end_column = positions[frame.f_lasti // 2]
        if line is not None and end_line is not None and column is not None and end_column is not None:
            return [line, end_line, column, end_column]
    except (AttributeError, IndexError, ValueError):
        pass
    return [frame.f_lineno, frame.f_lineno, -1, -1]


def _plain(value: Any, depth: int = 0) -> Any:
    """A JSON value for a deserialised Pulumi property; unknowns become a marker object."""
    if depth > 200:
        return {UNKNOWN_MARKER: "too deeply nested"}
    if isinstance(value, float) and value.is_integer():
        # Pulumi's wire format (protobuf Struct) has only doubles: `port=8080` arrives as 8080.0.
        # Kubernetes fields are integers, so an integral double is turned back into one.
        return int(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) is not None and "value" in value:
            return _plain(value["value"], depth + 1)
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    name = type(value).__name__
    if name == "Unknown":
        return {UNKNOWN_MARKER: "known only after deployment"}
    return {UNKNOWN_MARKER: f"a {name} value"}


def _argument_value(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return _plain(value) if isinstance(value, (dict, list, tuple)) else None


def _install_hooks(state: _State, pulumi: Any) -> None:
    original_init = pulumi.Resource.__init__

    def resource_init(self: Any, t: str, name: str, *args: Any, **kwargs: Any) -> None:
        try:
            frame = sys._getframe(1)
            state.sites.setdefault((t, name), []).append(state.user_site(frame))
            wanted = _ARGUMENT_TYPES.get(t)
            if wanted:
                state.arguments.setdefault((t, name), []).append(_constructor_arguments(frame, self, wanted))
        except Exception:  # recording positions must never change what the program does
            pass
        original_init(self, t, name, *args, **kwargs)

    pulumi.Resource.__init__ = resource_init
    import pulumi.runtime as runtime

    for function_name in ("invoke", "invoke_async", "invoke_output", "invoke_single", "invoke_output_single"):
        function = getattr(runtime, function_name, None)
        if function is not None:
            setattr(runtime, function_name, _recording_invoke(state, function))


def _recording_invoke(state: _State, function: Any) -> Any:
    def invoke(tok: str, *args: Any, **kwargs: Any) -> Any:
        try:
            state.invokes.append({"token": tok, "site": state.user_site(sys._getframe(1))})
        except Exception:
            pass
        return function(tok, *args, **kwargs)

    return invoke


def _constructor_arguments(frame: Any, resource: Any, wanted: tuple[str, ...]) -> dict[str, Any]:
    """The arguments of the component's own `__init__` (the frame whose `self` is the resource)."""
    while frame is not None:
        if frame.f_locals.get("self") is resource or frame.f_locals.get("__self__") is resource:
            if frame.f_code.co_name == "__init__" and "pulumi_kubernetes" in frame.f_code.co_filename:
                return {key: _argument_value(frame.f_locals.get(key)) for key in wanted}
        frame = frame.f_back
    return {}


def _make_mocks(state: _State, pulumi: Any) -> Any:
    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: Any) -> tuple[str, dict]:
            inputs = _with_generated_name(args.typ, args.name, dict(args.inputs), bool(args.custom))
            sites = state.sites.get((args.typ, args.name)) or [None]
            arguments = state.arguments.get((args.typ, args.name)) or [None]
            state.resources.append({
                "type": args.typ,
                "name": args.name,
                "custom": bool(args.custom),
                "provider": args.provider or "",
                "inputs": _plain(inputs),
                "site": sites.pop(0) if len(sites) > 1 else sites[0],
                "arguments": arguments.pop(0) if len(arguments) > 1 else arguments[0],
            })
            # Outputs are the inputs; what only a deployment knows is missing, hence unknown
            # (preview mode). The id, too, is known only after a deployment.
            return "", inputs

        def call(self, args: Any) -> dict:
            # Kubernetes helpers that decode YAML, render charts or kustomizations return no
            # objects: policylint reads local YAML itself and reports the rest as not analysed.
            if args.token.startswith("kubernetes:"):
                return {"result": []}
            return {}

    return Mocks()


def _with_generated_name(token: str, name: str, inputs: dict, custom: bool) -> dict:
    """Pulumi names a Kubernetes object written without `metadata.name` `<resource name>-<8 hex>`
    during preview already; the same here (a stable suffix, so that reports are reproducible)."""
    parts = token.split(":")
    if not custom or len(parts) != 3 or parts[0] != "kubernetes" or parts[2].endswith("Patch"):
        return inputs
    if parts[1].startswith(("yaml", "helm.sh", "kustomize")):
        return inputs
    metadata = inputs.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    if metadata.get("name") or metadata.get("generateName"):
        return inputs
    metadata["name"] = f"{name}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return {**inputs, "metadata": metadata}


def _block_network() -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access is disabled while policylint runs a Pulumi program")

    socket.getaddrinfo = refuse  # type: ignore[assignment]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]


def _error_report(error: BaseException) -> dict[str, Any]:
    frames = [[os.path.realpath(f.filename), f.lineno or 0, f.name] for f in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        frames.append([os.path.realpath(error.filename), error.lineno or 0, "<module>"])
    cause = error.__cause__ or error.__context__
    while cause is not None and not frames:
        frames = [[os.path.realpath(f.filename), f.lineno or 0, f.name] for f in traceback.extract_tb(cause.__traceback__)]
        cause = cause.__cause__ or cause.__context__
    message = "".join(traceback.format_exception_only(type(error), error)).strip().splitlines()
    return {"type": type(error).__name__, "message": message[-1] if message else type(error).__name__, "frames": frames}


def main(argv: list[str]) -> int:
    with open(argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    stack_file = open(request["stacks"], "w", encoding="utf-8")  # noqa: SIM115 - open until exit
    faulthandler.dump_traceback_later(float(request["timeout"]), exit=True, file=stack_file)
    root, workdir, entry = request["root"], request["workdir"], request["entry"]
    try:
        import pulumi
        import pulumi.runtime
        from pulumi.runtime.stack import run_pulumi_func
        from pulumi.runtime.sync_await import _sync_await
    except ImportError as error:
        sys.stderr.write(f"{error}\n")
        return EXIT_NO_SDK
    state = _State(root)
    _install_hooks(state, pulumi)
    if request.get("config"):
        os.environ["PULUMI_CONFIG"] = json.dumps(request["config"])
    pulumi.runtime.set_mocks(_make_mocks(state, pulumi), project=request.get("project") or "project",
                             stack=request.get("stack") or "policylint", preview=True)
    _block_network()
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    error: dict[str, Any] | None = None
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(entry, run_name="__main__")))
    except SystemExit as stop:
        if stop.code not in (None, 0):
            error = _error_report(stop)
    except BaseException as exception:  # noqa: BLE001 - the program's failure is the result
        error = _error_report(exception)
    faulthandler.cancel_dump_traceback_later()
    result = {"resources": state.resources, "invokes": state.invokes, "error": error}
    with open(request["result"], "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
