#!/bin/sh
# gen_notes.sh DIR [N]: writes N (default 10000) generated notes of typical size (about
# 5 KB: the user's frontmatter, 8 concepts with ### subsections, a code block, CJK text,
# an explicit card, past and future review_dates) into DIR/cat-K/sub-J/, for the sync
# benchmark. Deterministic. Not content: nothing here is meant to be studied.
set -eu
dir=$1 n=${2:-10000}
mkdir -p "$dir"
awk -v dir="$dir" -v n="$n" 'BEGIN {
    for (c = 0; c < 20; c++) for (s = 0; s < 5; s++) system("mkdir -p " dir "/cat-" c "/sub-" s);
    para = "这是一段用于基准测试的说明文字，模拟真实笔记的长度和字符分布。Gradient descent updates the weights against the gradient of the loss; the learning rate sets the step size."
    for (i = 0; i < n; i++) {
        c = i % 20; s = int(i / 20) % 5
        f = sprintf("%s/cat-%d/sub-%d/note-%05d.md", dir, c, s, i)
        printf "---\ntitle: 基准笔记 %d\ncategory: cat-%d/sub-%d\ntags: [AI, bench, 深度学习, t%d]\n", i, c, s, i % 13 > f
        printf "created: 2026-01-%02d\nupdated: 2026-01-%02d\nmastery: %d\ndifficulty: %d\n", 1 + i % 28, 1 + i % 28, i % 6, 1 + i % 5 > f
        if (i % 3 == 0) printf "review_dates:\n  - 2026-01-05\n  - 2026-01-12\n  - 2030-02-01\n" > f
        else printf "review_dates:\n" > f
        printf "status: %s\nrelated:\n  - cat-%d/sub-%d/note-%05d.md\nlabs: [cnn-mnist]\n---\n\n", (i % 3 == 0 ? "learning" : "new"), c, s, (i + 1) % n > f
        printf "# 基准笔记 %d\n\n## 📋 基本信息\n- **主题**: 基准 %d\n- **难度等级**: ⭐⭐⭐\n\n", i, i > f
        for (k = 1; k <= 4; k++) {
            printf "## 概念 %d\n\n%s\n\n### 细节 %d.1\n\n%s\n%s\n\n### 细节 %d.2\n\n", k, para, k, para, para, k > f
            printf "```python\nimport torch\nx = torch.randn(%d, %d)\ny = x @ x.T\n```\n\n", k, i % 100 + 1 > f
        }
        printf "- What does note %d test :: the sync speed\n", i > f
        close(f)
    }
}'
