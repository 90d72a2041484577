# Known-wrong: credits every node from the first player's point of view.
def backpropagate(path, result):
    for node in path:
        node["N"] += 1
        node["W"] += 0.5 + 0.5 * result
