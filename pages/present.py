"""Present: the findings one per screen (the report basket's, else the Overview's largest gaps), with a
presentation mode for a projector that hides the controls and enlarges text and charts."""

from views.cache import get_store
from views.presentation import presentation_view
from views.state import current

store = get_store()
state = current()
presentation_view(store, state)
