"""The turn loop: think → tools → think → answer, in bounded rounds. The one loop every conversation runs — the
workflow (each step an activity, so the history shows it), a live call (local activities), the members' chat and
`make eval` (each step called directly) — so what the eval scores is what customers get.

Deterministic and free of I/O: it runs inside the conversation's workflow."""

from collections.abc import Awaitable, Callable

from models.messages import ToolRequest, ToolResult, ToolStep, Turn, TurnRequest

# Rounds of tool use in one turn; the last round's thinking must answer with what the tools found.
MAX_TOOL_ROUNDS = 4

Think = Callable[[TurnRequest], Awaitable[Turn]]
UseTool = Callable[[ToolRequest], Awaitable[ToolResult]]


def always() -> bool:
    return True


async def run_turn(request: TurnRequest, think: Think, use: UseTool, with_tools: Callable[[], bool] = always) -> Turn:
    """The AI's answer to `request.message`: it thinks, uses the tools it asks for (each result added to
    `request.steps`), and thinks again, until it answers or the rounds run out. `with_tools` False after the first
    thought: the answer is that thought (a workflow replaying a history from before tools were in turns)."""
    turn = await think(request)
    if not with_tools():
        return turn
    for round_ in range(MAX_TOOL_ROUNDS):
        if not turn.tool_calls:
            break
        for tool in turn.tool_calls:
            request.steps.append(ToolStep(request=tool, result=await use(tool)))
        request.answer_now = round_ == MAX_TOOL_ROUNDS - 1
        turn = await think(request)
    return turn
