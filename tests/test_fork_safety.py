"""A child forked from the test process (the e2e servers) cannot take the parent's event loops with it
(tests/conftest.py, _after_fork_in_child)."""

import asyncio
import os
import threading
import time


def test_a_child_closing_its_copy_of_a_loop_leaves_the_parents_loop_woken_by_threads():
    from django.utils.functional import SimpleLazyObject

    # A lazy object that must not be evaluated (a test process holds many, e.g. request.user): looking
    # for loops must not touch it.
    untouchable = SimpleLazyObject(lambda: 1 / 0)
    loop = asyncio.new_event_loop()
    try:
        pid = os.fork()
        if pid == 0:  # the child: what daphne's testing process does to the loop it inherits
            try:
                loop.close()
            finally:
                os._exit(0)
        assert os.waitpid(pid, 0)[1] == 0

        async def woken_from_a_thread():
            future = loop.create_future()

            def finish_later():
                time.sleep(0.3)  # the loop is asleep in epoll by now: only the self-pipe can wake it
                loop.call_soon_threadsafe(future.set_result, "woken")

            threading.Thread(target=finish_later).start()
            started = time.monotonic()
            result = await asyncio.wait_for(future, 10)
            return result, time.monotonic() - started

        result, waited = loop.run_until_complete(woken_from_a_thread())
        assert result == "woken" and waited < 5
    finally:
        loop.close()
        del untouchable
