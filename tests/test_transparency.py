

def test_the_stack_knows_every_wrapper_file() -> None:
    """Every template's file name is one the stack leaves out (and Sentry never shows)."""
    from autocapture import _decorator, _stack

    assert all(_stack.is_wrapper_file(name) for name in _decorator._OWN_FILES)
