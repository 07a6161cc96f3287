/**
 * Warm Python functions: one globals dict per key (a namespace, function path and version), made
 * by running the function's code once; later calls only call its `handle`. Module-level state
 * persists between the calls of one key, as in a Workers isolate; what a call changes in shared
 * modules is undone after it (python-reset.ts), and the modules a key imported are its own: they
 * are in sys.modules only during its calls. Part of the `_zerverless` module (see python-prelude.ts).
 */
export const PYTHON_WARM = `
from collections import OrderedDict as _OrderedDict

# Discarded, not reused: a context that was stopped or ran out of memory may be half updated.
_DISCARD = (KeyboardInterrupt, MemoryError, OsExit)
_warm = _OrderedDict()
_calling = [None]

class _Context:
    __slots__ = ('scope', 'handle', 'modules', 'bytes', 'shared')
    def __init__(self, scope, handle, size, shared):
        self.scope, self.handle, self.modules, self.bytes = scope, handle, {}, size
        # What its top level set in shared modules and state (changes()), re-applied per call.
        self.shared = shared

def _size(scope, code):
    # An estimate (CPython here counts no allocated blocks): the globals, their values, the code.
    return 16384 + 4 * len(code) + sys.getsizeof(scope) + sum(map(sys.getsizeof, scope.values()))

def call(key, code, input_json):
    """A function call on key's warm context, made from code on the first call."""
    request = _loads(input_json)
    context = _warm.get(key)
    try:
        if context is None:
            scope = _scope(request)
            value = _compile(code).run(scope)
            handle = _handler(scope)
            if handle is None:
                # The top level answered from INPUT: it must run again for the next request.
                return _report(scope['result'])
            context = _warm[key] = _Context(scope, handle, _size(scope, code), changes())
            _calling[0] = context
        else:
            _warm.move_to_end(key)
            _calling[0] = context
            enter(context.modules)
            if context.shared is not None:
                apply(context.shared)
            context.scope['INPUT'] = request
        value = context.handle(request)
    except SystemExit as exit:
        failed = _exited(exit)
        if failed:
            return failed
        value = None
    except BaseException as error:
        if context is not None and isinstance(error, _DISCARD):
            forget(key)
        return _failure(error)
    return _report(value)

def after_call():
    """The reset after any call: a warm call's new modules become its context's own."""
    context, _calling[0] = _calling[0], None
    reset(context.modules if context is not None else None)

def forget(key):
    context = _warm.pop(key, None)
    if context is not None and _calling[0] is context:
        # Its modules are dropped with it, not kept.
        _calling[0] = None

def held():
    return sum(context.bytes for context in _warm.values())

def evict(keep_bytes):
    """Drops least recently used contexts until what the rest hold is at most keep_bytes."""
    total = held()
    while _warm and total > keep_bytes:
        _, context = _warm.popitem(last=False)
        total -= context.bytes
`
