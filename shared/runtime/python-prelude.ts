/**
 * The Python half of the Pyodide runtime, installed once per interpreter as module `_zerverless`
 * (after python-reset.ts, before python-warm.ts). `run` executes a job in fresh globals, with its
 * code compiled once per interpreter, and reports JSON; `os._exit` ends the job, not the
 * interpreter (which later jobs of the namespace share).
 */
export const PYTHON_PRELUDE = `
import builtins, os, posix, sys
from json import dumps as _dumps, loads as _loads
from traceback import extract_tb as _extract_tb, format_exception_only as _format_exception_only, format_list as _format_list
from pyodide.code import CodeRunner as _CodeRunner
from types import MappingProxyType as _Frozen
# Captured now, so a job that replaces json.dumps or traceback.* cannot garble its own report.

_COMPILED_MAX = 32
NO_HANDLER = 'the function must define handle(req), returning {status, headers, body}'

class OsExit(BaseException):
    """What os._exit raises here: a job may end itself, never the interpreter it shares."""
    __module__ = 'builtins'
    def __init__(self, status=0):
        super().__init__(f'os._exit({status}) ended the job: a job cannot end its process; use sys.exit() to end a job early')

def _exit(status=0):
    raise OsExit(status)

os._exit = posix._exit = _exit

def _failure(error, kind=None):
    frames = [f for f in _extract_tb(error.__traceback__) if f.filename == '<job>']
    line = frames[-1].lineno if frames else (error.lineno if isinstance(error, SyntaxError) else None)
    text = ''.join(_format_exception_only(error)).strip()
    lines = (['Traceback (most recent call last):\\n'] + _format_list(frames)) if frames else []
    lines += _format_exception_only(error)
    return _dumps({'ok': False, 'kind': kind or type(error).__name__, 'message': text, 'line': line, 'traceback': ''.join(lines)})

try:
    from _zerverless_host import call as _host_call
except ImportError:
    _host_call = None

def _host(request):
    if _host_call is None:
        raise RuntimeError('the database is not available here')
    reply = _loads(_host_call(_dumps(request)))
    if not reply['ok']:
        raise RuntimeError(reply['error'])
    return reply['value']

class Database:
    """Your namespace's key-value database: the same one as /api/db/{namespace}."""
    def get(self, key):
        return _host({'op': 'db.get', 'key': str(key)})
    def set(self, key, value, ttl=None):
        request = {'op': 'db.set', 'key': str(key), 'value': value}
        if ttl is not None:
            request['ttl'] = ttl
        return _host(request)
    def delete(self, key):
        return _host({'op': 'db.delete', 'key': str(key)})
    def list(self, prefix='', limit=100, cursor=None):
        request = {'op': 'db.list', 'prefix': prefix, 'limit': limit}
        if cursor is not None:
            request['cursor'] = cursor
        return _host(request)

db = Database()

try:
    from _zerverless_host import progress as _host_progress
except ImportError:
    _host_progress = None

def progress(fraction, message=None):
    """Reports how far the job got: a fraction from 0 to 1 and an optional message."""
    # Only exact floats and strs cross to the host: anything else would reach it as a proxy.
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
        raise TypeError(f'progress(fraction, message): fraction must be a number from 0 to 1; got {type(fraction).__name__}')
    if message is not None and not isinstance(message, str):
        raise TypeError(f'progress(fraction, message): message must be a string; got {type(message).__name__}')
    if _host_progress is not None:
        wrong = _host_progress(float(fraction), None if message is None else str.__str__(message))
        if wrong:
            raise ValueError(wrong)

def _scope(request, secrets=None):
    # SECRETS: the values the work declared, read-only (a mapping proxy over a private dict).
    return {'__name__': '__main__', '__builtins__': builtins, 'INPUT': request, 'db': db, 'progress': progress, 'SECRETS': _Frozen(dict(secrets or {}))}

_compiled = {}

def _compile(code):
    """Code compiled once per interpreter: jobs with the same code share it (code objects are immutable)."""
    runner = _compiled.pop(code, None)
    if runner is None:
        runner = _CodeRunner(code, filename='<job>').compile()
        if len(_compiled) >= _COMPILED_MAX:
            del _compiled[next(iter(_compiled))]
    _compiled[code] = runner
    return runner

def _handler(scope):
    # The seed's pattern computes the response at the top level: result = handle(INPUT)
    result = scope.get('result')
    if isinstance(result, dict) and ('status' in result or 'body' in result):
        return None
    handle = scope.get('handle')
    if not callable(handle):
        raise NameError(NO_HANDLER)
    return handle

def _report(value):
    try:
        return _dumps({'ok': True, 'result': value}, allow_nan=False)
    except (TypeError, ValueError) as error:
        return _dumps({'ok': False, 'kind': 'ResultNotJson', 'message': f'the result (a {type(value).__name__}) cannot be sent as JSON: {error}'})

def _exited(exit):
    return None if exit.code in (None, 0) else _failure(exit)

def run(code, input_json, mode='job', secrets_json='{}'):
    """A job, or a function call without a warm context: fresh globals, code run from the top."""
    scope = _scope(_loads(input_json), _loads(secrets_json))
    try:
        value = _compile(code).run(scope)
        if mode == 'function':
            handle = _handler(scope)
            value = scope['result'] if handle is None else handle(scope['INPUT'])
    except SystemExit as exit:
        failed = _exited(exit)
        if failed:
            return failed
        value = None
    except BaseException as error:
        return _failure(error)
    return _report(value)
`
