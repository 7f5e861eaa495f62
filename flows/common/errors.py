"""The one exception the CLI turns into a one-line message and a non-zero exit."""


class UserError(Exception):
    """Bad input or a refused request, said in a sentence the user can act on."""


class NotFound(UserError):
    """A thing named that does not exist, or that this reader may not see (the same words for both): a 404."""
