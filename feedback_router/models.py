"""Imports every model module so that the metadata is complete (migrations, tests)."""


def load_all() -> None:
    from feedback_router import model_versions as _versions  # noqa: F401
    from feedback_router import schedule as _schedule  # noqa: F401
    from feedback_router.auth import models as _auth  # noqa: F401
    from feedback_router.clusters import models as _clusters  # noqa: F401
    from feedback_router.digests import models as _digests  # noqa: F401
    from feedback_router.feedback import models as _feedback  # noqa: F401
    from feedback_router.loopback import models as _loopback  # noqa: F401
    from feedback_router.tickets import models as _tickets  # noqa: F401
