"""Scrub the process's own log output (API §5 "Every exit").

```python
import autocapture.logs

autocapture.logs.scrub_logs()  # every handler that exists now
handler.addFilter(autocapture.logs.ScrubbingFilter())  # or chosen handlers
```
"""

from __future__ import annotations

from autocapture._scrub._logs import ScrubbingFilter, scrub_logs

__all__ = ["ScrubbingFilter", "scrub_logs"]
