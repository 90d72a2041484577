"""Progress bars are off in book builds, even when a caller asks for one."""

from mbrl_lessons.core.progress import progress_disabled, tqdm


def test_bars_follow_the_book_build_switch(monkeypatch):
    monkeypatch.delenv("MBRL_LESSONS_NO_PROGRESS", raising=False)
    assert not progress_disabled()
    assert not tqdm(range(3), disable=False).disable
    monkeypatch.setenv("MBRL_LESSONS_NO_PROGRESS", "1")
    assert progress_disabled()
    bar = tqdm(range(3), disable=False)  # the caller's progress=True loses
    assert bar.disable and list(bar) == [0, 1, 2]
    monkeypatch.setenv("MBRL_LESSONS_NO_PROGRESS", "0")
    assert not progress_disabled()
