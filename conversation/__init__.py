"""The conversational AI, one room. A newcomer's map:

- `turn.py` — the turn loop (`run_turn`: think → tools → think → answer, bounded); the workflow, a live call, the
  members' chat and `make eval` all run it. What an answer proposes to book (its offers) and how long the
  customer's yes may take, per channel.
- `think.py` — one step of a turn: the engine's rules, then the model or the offline engine.
- `policy.py` — where the AI decides to opt a customer out or hand the conversation to the team, and at which
  priority.
- `understanding.py` — what the customer's message says: the signals and intents the engine acts on.
- `offline.py` — the offline engine's answers; `questions.py` — what any customer may ask it anywhere (all the
  members' chat knows), answered from the tools.
- `model.py` — the model path: its prompt, the `answer` function, the check of its answer.
- `situation.py` — what a turn knows beyond the message.
"""
