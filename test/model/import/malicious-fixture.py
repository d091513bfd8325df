"""Writes DIR/evil.pth: a torch.save zip whose pickle calls os.system('touch DIR/pwned') when
unpickled by pickle.load (the attack a restricted reader must refuse). usage: malicious-fixture.py DIR"""
import os, sys, torch

d = sys.argv[1]

class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + os.path.join(d, 'pwned'),))

torch.save({'conv1.weight': torch.zeros(1), 'payload': Evil()}, os.path.join(d, 'evil.pth'))
