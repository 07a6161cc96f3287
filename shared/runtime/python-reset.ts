/**
 * What one Python call may leave in the interpreter it shares with the next, and how it is undone
 * without walking every module: the modules loaded at baseline become `_Watched` modules, which
 * note their own writes (`setattr`, `delattr`, `vars()`), so a reset restores only the modules a
 * call wrote to, plus a few cheap checks (sys.modules by identity, sys.path and the import hooks,
 * os.environ, the working directory, the recursion limit, `random`'s seed, warning filters, the
 * root logger). Part of the `_zerverless` module (see python-prelude.ts).
 *
 * What it does not undo, by design: writes that bypass a module object (a stdlib function's
 * `global` statement, `func.__globals__`, frames, `gc`, ctypes) and changes inside objects that
 * modules hold (a class attribute, a list's contents). Every call served by one interpreter belongs
 * to one namespace, so these are limits of hygiene between one owner's jobs and functions, not
 * of isolation between tenants (a thread a Python guest reached serves one namespace for life).
 */
export const PYTHON_RESET = `
import builtins, os, posix, sys, types
from operator import is_ as _is

_MISSING = object()
_ModuleType = types.ModuleType
_module_dict = _ModuleType.__dict__['__dict__'].__get__
_HOME = '/home/pyodide'
_dirty = set()
_base = {}
_seeded = []

class _Watched(_ModuleType):
    """A module every call shares: it notes writes to itself, so a reset restores only those."""
    __slots__ = ()
    def __setattr__(self, name, value):
        _dirty.add(self)
        _ModuleType.__setattr__(self, name, value)
    def __delattr__(self, name):
        _dirty.add(self)
        _ModuleType.__delattr__(self, name)
    @property
    def __dict__(self):
        _dirty.add(self)
        return _module_dict(self)

def _watch_random():
    # random's shared generator lives in an instance, not the module's dict: note who seeds it.
    import random
    inst = random._inst
    def seed(*args, **kwargs):
        _seeded.append(True)
        return inst.seed(*args, **kwargs)
    def setstate(state):
        _seeded.append(True)
        return inst.setstate(state)
    random.seed, random.setstate = seed, setstate
    return inst

def baseline():
    """Records the interpreter as every call must find it; called once, before any guest runs."""
    import logging, warnings
    _base['random'] = _watch_random()
    dicts = {}
    for module in list(sys.modules.values()):
        if type(module) is _ModuleType:
            module.__class__ = _Watched
        if type(module) is _Watched:
            dicts[module] = dict(_module_dict(module))
    _dirty.clear()
    _base['dicts'] = dicts
    _base['modules'] = dict(sys.modules)
    _base['names'] = tuple(sys.modules)
    _base['values'] = tuple(sys.modules.values())
    _base['path'] = list(sys.path)
    _base['meta_path'] = list(sys.meta_path)
    _base['path_hooks'] = list(sys.path_hooks)
    _base['importer_cache'] = dict(sys.path_importer_cache)
    _base['environ'] = dict(os.environ)
    _base['environ_data'] = dict(os.environ._data)
    _base['recursion'] = sys.getrecursionlimit()
    _base['warnings'] = (warnings, list(warnings.filters))
    root = logging.getLogger()
    _base['logging'] = (root, list(root.handlers), root.level, root.manager.disable)

def _restore_modules():
    """Puts baseline modules back in sys.modules; returns the modules the call added."""
    modules, base = sys.modules, _base['modules']
    added = {name: module for name, module in modules.items() if base.get(name, _MISSING) is not module}
    for name in added:
        del modules[name]
    for name, module in base.items():
        if modules.get(name, _MISSING) is not module:
            modules[name] = module
    return added

def _restore_small():
    if sys.path != _base['path']:
        sys.path[:] = _base['path']
    if sys.meta_path != _base['meta_path']:
        sys.meta_path[:] = _base['meta_path']
    if sys.path_hooks != _base['path_hooks']:
        sys.path_hooks[:] = _base['path_hooks']
    if len(sys.path_importer_cache) != len(_base['importer_cache']):
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(_base['importer_cache'])
    if os.environ._data != _base['environ_data']:
        os.environ.clear()
        os.environ.update(_base['environ'])
    try:
        if posix.getcwd() != _HOME:
            os.chdir(_HOME)
    except OSError:
        pass
    if sys.getrecursionlimit() != _base['recursion']:
        sys.setrecursionlimit(_base['recursion'])
    if _seeded:
        _seeded.clear()
        _base['random'].seed()
    warnings, filters = _base['warnings']
    if warnings.filters != filters:
        with warnings._lock:
            warnings.filters[:] = filters
            warnings._filters_mutated_lock_held()
    root, handlers, level, disable = _base['logging']
    if root.handlers != handlers or root.level != level or root.manager.disable != disable:
        root.handlers[:] = handlers
        root.manager.disable = disable
        root.setLevel(level)

def reset(keep=None):
    """
    Undoes what the last call changed in shared modules and interpreter state. The modules it
    added to sys.modules are taken out: into keep (a warm context's own) when given, else dropped.
    """
    modules, names, values = sys.modules, _base['names'], _base['values']
    if keep:
        for name, module in keep.items():
            if modules.get(name) is module:
                del modules[name]
    if len(modules) != len(names) or not all(map(_is, map(modules.get, names), values)):
        added = _restore_modules()
        if keep is not None:
            keep.update(added)
    dicts = _base['dicts']
    while _dirty:
        module = _dirty.pop()
        saved = dicts.get(module)
        if saved is None:
            continue
        if type(module) is not _Watched:
            object.__setattr__(module, '__class__', _Watched)
        current = _module_dict(module)
        current.clear()
        current.update(saved)
    _dirty.clear()
    _restore_small()

def changes():
    """
    What the code run since the last reset changed in shared modules and interpreter state, as
    apply() takes it, or None: a warm context's top level keeps its view of them this way.
    """
    dicts = _base['dicts']
    modules = tuple((module, dict(_module_dict(module))) for module in _dirty if module in dicts)
    small = {}
    if sys.path != _base['path']:
        small['path'] = list(sys.path)
    if os.environ._data != _base['environ_data']:
        small['environ'] = dict(os.environ)
    try:
        if posix.getcwd() != _HOME:
            small['cwd'] = posix.getcwd()
    except OSError:
        pass
    if sys.getrecursionlimit() != _base['recursion']:
        small['recursion'] = sys.getrecursionlimit()
    warnings, filters = _base['warnings']
    if warnings.filters != filters:
        small['warnings'] = list(warnings.filters)
    root = _base['logging'][0]
    if root.handlers != _base['logging'][1] or root.level != _base['logging'][2]:
        small['logging'] = (list(root.handlers), root.level)
    return (modules, small) if modules or small else None

def apply(state):
    """Re-applies changes() before a call; the reset after the call undoes them again."""
    modules, small = state
    for module, saved in modules:
        _dirty.add(module)
        current = _module_dict(module)
        current.clear()
        current.update(saved)
    if 'path' in small:
        sys.path[:] = small['path']
    if 'environ' in small:
        os.environ.clear()
        os.environ.update(small['environ'])
    if 'cwd' in small:
        try:
            os.chdir(small['cwd'])
        except OSError:
            pass
    if 'recursion' in small:
        sys.setrecursionlimit(small['recursion'])
    if 'warnings' in small:
        warnings = _base['warnings'][0]
        with warnings._lock:
            warnings.filters[:] = small['warnings']
            warnings._filters_mutated_lock_held()
    if 'logging' in small:
        root = _base['logging'][0]
        root.handlers[:] = small['logging'][0]
        root.setLevel(small['logging'][1])

def enter(keep):
    """Puts a warm context's own modules back in sys.modules (and on their packages) for its call."""
    modules = sys.modules
    modules.update(keep)
    for name, module in keep.items():
        parent, _, child = name.rpartition('.')
        package = modules.get(parent) if parent else None
        if type(package) is _Watched:
            setattr(package, child, module)
`
