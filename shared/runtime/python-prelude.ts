/**
 * The Python half of the Pyodide runtime, installed once per interpreter as module `_zerverless`.
 * `run` executes a job in fresh globals and reports JSON; `reset` undoes what the job changed in
 * modules, sys.path, os.environ and the working directory, so the next job starts clean.
 * `os._exit` ends the job, not the interpreter (which later jobs of the namespace share).
 */
export const PYTHON_PRELUDE = `
import builtins, os, posix, sys
from json import dumps as _dumps, loads as _loads
from traceback import extract_tb as _extract_tb, format_exception_only as _format_exception_only, format_list as _format_list
from pyodide.code import eval_code as _eval_code
# Captured now, so a job that replaces json.dumps or traceback.* cannot garble its own report.

_MISSING = object()
NO_HANDLER = 'the function must define handle(req), returning {status, headers, body}'
_HOME = '/home/pyodide'
_baseline = {}

def baseline():
    _baseline['modules'] = set(sys.modules)
    _baseline['dicts'] = {name: dict(vars(m)) for name, m in list(sys.modules.items()) if m is not None and hasattr(m, '__dict__')}
    _baseline['path'] = list(sys.path)
    _baseline['environ'] = dict(os.environ)

def reset():
    for name in list(sys.modules):
        if name not in _baseline['modules']:
            del sys.modules[name]
    for name, saved in _baseline['dicts'].items():
        module = sys.modules.get(name)
        if module is None:
            continue
        current = vars(module)
        if len(current) != len(saved) or any(current.get(k, _MISSING) is not v for k, v in saved.items()):
            current.clear()
            current.update(saved)
    sys.path[:] = _baseline['path']
    os.environ.clear()
    os.environ.update(_baseline['environ'])
    try:
        os.chdir(_HOME)
    except OSError:
        pass

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

def _respond(scope):
    # The seed's pattern computes the response itself: result = handle(INPUT); print(json.dumps(result))
    result = scope.get('result')
    if isinstance(result, dict) and ('status' in result or 'body' in result):
        return result
    handle = scope.get('handle')
    if not callable(handle):
        raise NameError(NO_HANDLER)
    return handle(scope['INPUT'])

def run(code, input_json, mode='job'):
    scope = {'__name__': '__main__', '__builtins__': builtins, 'INPUT': _loads(input_json), 'db': db}
    try:
        value = _eval_code(code, scope, filename='<job>')
        if mode == 'function':
            value = _respond(scope)
    except SystemExit as exit:
        if exit.code not in (None, 0):
            return _failure(exit)
        value = None
    except BaseException as error:
        return _failure(error)
    try:
        return _dumps({'ok': True, 'result': value}, allow_nan=False)
    except (TypeError, ValueError) as error:
        return _dumps({'ok': False, 'kind': 'ResultNotJson', 'message': f'the result (a {type(value).__name__}) cannot be sent as JSON: {error}'})
`
