print("onboard-torture: not written yet")
