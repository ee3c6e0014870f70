class NotPermitted(Exception):
    pass


class NotOwner(NotPermitted):
    pass


class RateLimited(Exception):
    pass


class DomainError(Exception):
    pass


class NetworkError(Exception):
    pass
